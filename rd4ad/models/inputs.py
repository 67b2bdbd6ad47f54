"""Turn cached uint8 images into model input on the device (no per-step PIL work)."""

from __future__ import annotations

import torch

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def to_model_input(images: torch.Tensor, normalize: bool, channels_last: bool = False) -> torch.Tensor:
    """uint8 (B, 3, S, S) → float32 in [0, 1] (ToTensor), then ImageNet mean/std when ``normalize``."""
    x = images.float().div_(255.0)
    if normalize:
        mean = torch.tensor(IMAGENET_MEAN, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD, device=x.device).view(1, 3, 1, 1)
        x = x.sub_(mean).div_(std)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x
