"""Device selection and reproducibility switches."""

from __future__ import annotations

import torch

from rd4ad.files.errors import RD4ADError


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` → CUDA when present, else CPU; otherwise the named device."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RD4ADError(f"--device {name}: CUDA is not available on this machine; use --device cpu or auto")
    return device


def set_deterministic(enabled: bool) -> None:
    """Deterministic kernels (what CI uses on CPU): same seed, same machine → same numbers."""
    torch.use_deterministic_algorithms(enabled, warn_only=True)
    torch.backends.cudnn.benchmark = not enabled
    torch.backends.cudnn.deterministic = enabled
