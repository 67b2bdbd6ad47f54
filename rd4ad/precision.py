"""Floating-point precision of a run: the paper's and the public code's fp32, TF32, or bf16 autocast.

The paper (§4.1) and the public code train and test in float32. ``tf32`` lets CUDA run fp32
matrix products and convolutions on TF32 tensor cores (10-bit mantissa); ``bf16`` runs the
forward pass under ``torch.autocast`` in bfloat16 with float32 master weights and a float32
loss, on CUDA and on CPU. TF32 is set explicitly for every job (PyTorch's own defaults
differ between matrix products and cuDNN convolutions).
"""

from __future__ import annotations

import torch

PRECISIONS = ("fp32", "tf32", "bf16")
LABELS = {"fp32": "fp32 (TF32 off)", "tf32": "fp32 with TF32 on CUDA", "bf16": "bf16 autocast, fp32 weights"}


def apply_tf32(precision: str) -> None:
    """Allow TF32 in CUDA matrix products and cuDNN convolutions exactly when ``precision`` is tf32."""
    allowed = precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = allowed
    torch.backends.cudnn.allow_tf32 = allowed


def autocast(precision: str, device: torch.device) -> torch.autocast:
    """The autocast context of ``precision`` on ``device`` (bf16: on; otherwise off)."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


def precision_record(precision: str) -> dict:
    """The precision a job ran under, as recorded in ``model.pt`` and ``metrics.json``."""
    return {"precision": precision, "label": LABELS[precision],
            "tf32_matmul": torch.backends.cuda.matmul.allow_tf32, "tf32_cudnn": torch.backends.cudnn.allow_tf32}
