"""The fast path of a run (``fast: true``): channels_last tensors and fused Adam.

It changes no number beyond float rounding. On CUDA it is on whenever the run asks for it. On
CPU it is off by default: there the plain path is the one that equals the public code's loop
bit for bit (tests/test_fast_path.py), which the CI drift baseline relies on, and it gains
little (ResNet18 / WRN50 at 64 px, one thread: 0.9-1.3x). ``on_cpu=True`` runs the same code on
CPU so that its tests need no GPU.
"""

from __future__ import annotations

import torch


def fast_path(fast: bool, device: torch.device, *, on_cpu: bool = False) -> bool:
    """Whether a run with ``fast`` uses channels_last and fused Adam on ``device``."""
    return fast and (device.type == "cuda" or on_cpu)
