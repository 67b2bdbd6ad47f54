"""Floating-point precision of a run: the paper's and the public code's fp32, TF32, or bf16 autocast.

The paper (§4.1) and the public code train and test in float32. ``tf32`` lets CUDA run fp32
matrix products and convolutions on TF32 tensor cores (10-bit mantissa); ``bf16`` runs the
forward pass under ``torch.autocast`` in bfloat16 with float32 master weights and a float32
loss, on CUDA and on CPU. TF32 is set explicitly for every job (PyTorch's own defaults
differ between matrix products and cuDNN convolutions): every entry point (train, evaluate,
complexity, the cost estimate's timing, anomalib's training) sets its precision up with
``apply_precision``.

bf16 is fast only where the hardware has it: CUDA GPUs from Ampere on, and CPUs with
AVX512-BF16 or AMX through oneDNN. Elsewhere (most laptops: AVX2 only) and under pinned CPU
numerics (oneDNN off, rd4ad/machine/numerics.py) autocast emulates it: a ResNet18 epoch at 64 px took
25x the fp32 time on an AVX2-only CPU and 7x under pinned numerics
(``python benchmarks/bench_precision.py`` prints the ratio on this machine). Such a job says so
in one line (``emulated_bf16_warning``); the demo and CI configs therefore train their
headline in fp32 and measure bf16 on one small pair of runs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from rd4ad.machine.choices import LABELS


def apply_tf32(precision: str) -> None:
    """Allow TF32 in CUDA matrix products and cuDNN convolutions exactly when ``precision`` is tf32."""
    allowed = precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = allowed
    torch.backends.cudnn.allow_tf32 = allowed


def apply_precision(job: str, precision: str, device: torch.device) -> dict:
    """Set a job (``job``: how its warning names it) up for ``precision`` on ``device``: TF32 as
    ``apply_tf32`` sets it, a line on stderr where bf16 autocast is emulated; the record of what it set
    (``precision_record``)."""
    apply_tf32(precision)
    warning = emulated_bf16_warning(job, precision, device)
    if warning:
        print(warning, file=sys.stderr)
    return precision_record(precision)


@contextmanager
def tf32_as(precision: str) -> Iterator[None]:
    """TF32 as ``apply_tf32(precision)`` sets it inside the block; the flags of before restored after it."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    apply_tf32(precision)
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def bf16_native(device: torch.device) -> bool:
    """True when bf16 autocast on ``device`` runs on native bf16 kernels, not an emulation."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    return bool(torch.backends.mkldnn.enabled and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def emulated_bf16_warning(run_name: str, precision: str, device: torch.device) -> str | None:
    """One line for a job that asked for bf16 where it is emulated (None otherwise)."""
    if precision != "bf16" or bf16_native(device):
        return None
    why = (
        "oneDNN off: pinned CPU numerics"
        if device.type == "cpu" and not torch.backends.mkldnn.enabled
        else f"no native bf16 kernels on this {device.type.upper()}"
    )
    return (
        f"warning: {run_name}: precision bf16 is emulated here ({why}); expect about 7-25x the fp32 time "
        "(python benchmarks/bench_precision.py measures it); set precision: fp32 for runs on this machine"
    )


def autocast(precision: str, device: torch.device) -> torch.autocast:
    """The autocast context of ``precision`` on ``device`` (bf16: on; otherwise off)."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


def precision_record(precision: str) -> dict:
    """The precision a job ran under, as recorded in ``model.pt`` and ``metrics.json``."""
    return {
        "precision": precision,
        "label": LABELS[precision],
        "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
        "tf32_cudnn": torch.backends.cudnn.allow_tf32,
    }
