"""The device a job ran on, as ``metrics.json`` and the report name it: GPU model, driver, CUDA and cuDNN
versions and the determinism settings in force; a CPU job says so (no GPU, no GPU determinism). ``describe``
reads a record without torch (the report)."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

CUBLAS_ENV = "CUBLAS_WORKSPACE_CONFIG"


def driver_version(index: int) -> str | None:
    """The NVIDIA driver's version of GPU ``index`` (``nvidia-smi``), None where it cannot be read."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    try:
        done = subprocess.run(
            [smi, "--query-gpu=driver_version", "--format=csv,noheader", "-i", str(index)],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def device_record(device: torch.device) -> dict:
    """What ran the job: see the module docstring."""
    import torch

    if device.type != "cuda":
        return {"type": device.type, "gpu": None, "determinism": f"none ({device.type.upper()})"}
    index = device.index if device.index is not None else torch.cuda.current_device()
    props = torch.cuda.get_device_properties(index)
    return {
        "type": "cuda",
        "gpu": props.name,
        "capability": f"{props.major}.{props.minor}",
        "memory_gib": round(props.total_memory / 2**30, 1),
        "driver": driver_version(index),
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "determinism": {
            "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
            "cudnn_deterministic": torch.backends.cudnn.deterministic,
            "cudnn_benchmark": torch.backends.cudnn.benchmark,
            CUBLAS_ENV: os.environ.get(CUBLAS_ENV),
        },
    }


def describe(record: dict) -> str:
    """One line of ``device_record``: ``cpu`` or ``NVIDIA H100 …, driver …, CUDA …, cuDNN …, deterministic``."""
    if not record or record.get("gpu") is None:
        return str(record.get("type", "unknown")) if record else "unknown"
    determinism = record["determinism"]
    mode = "deterministic" if determinism["deterministic_algorithms"] else "nondeterministic"
    return (
        f"{record['gpu']} (driver {record['driver']}, CUDA {record['cuda']}, cuDNN {record['cudnn']}, "
        f"{mode}, cudnn.benchmark {determinism['cudnn_benchmark']})"
    )
