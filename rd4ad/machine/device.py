"""Device selection and reproducibility switches."""

from __future__ import annotations

import os

import torch

from rd4ad.files.errors import RD4ADError
from rd4ad.machine.device_record import CUBLAS_ENV
from rd4ad.machine.gpu_slots import SCHEDULER_GPU_ENV, SLOT_ENV

STANDIN_ENV = "RD4AD_STANDIN_GPUS"  # set on a test cluster whose GPUs are stand-ins: a job given one runs on the CPU
DETERMINISTIC_CUBLAS = ":4096:8"  # cuBLAS's deterministic workspace (CUDA docs, "Results reproducibility")


def given_gpu() -> str | None:
    """The GPU this job was given (a ``gpu_slots`` slot, or the scheduler's), None when it was given none."""
    return next((f"{k}={os.environ[k]}" for k in (SLOT_ENV, *SCHEDULER_GPU_ENV) if os.environ.get(k)), None)


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` → CUDA when present, else CPU, except that a job given a GPU fails without CUDA (unless
    ``$RD4AD_STANDIN_GPUS`` says the cluster's GPUs are stand-ins, as scripts/slurm_local.sh's are); otherwise
    the named device."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        given = given_gpu()
        if given is not None and not os.environ.get(STANDIN_ENV):
            raise RD4ADError(
                f"--device auto: this job was given a GPU ({given}) but CUDA is not available "
                f"(torch {torch.__version__}, CUDA build {torch.version.cuda}); fix the driver or run with "
                "CUDA_VISIBLE_DEVICES= for the CPU"
            )
        return torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RD4ADError(f"--device {name}: CUDA is not available on this machine; use --device cpu or auto")
    return device


def set_deterministic(enabled: bool) -> None:
    """Deterministic kernels (what CI uses on CPU): same seed, same machine → same numbers. On CUDA this
    needs cuBLAS's deterministic workspace, set here unless the environment sets one (before cuBLAS starts)."""
    if enabled:
        os.environ.setdefault(CUBLAS_ENV, DETERMINISTIC_CUBLAS)
    torch.use_deterministic_algorithms(enabled, warn_only=True)
    torch.backends.cudnn.benchmark = not enabled
    torch.backends.cudnn.deterministic = enabled
