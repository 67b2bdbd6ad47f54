"""The in-memory form of one split (docs/architecture.md "Data contract") and the PIL decoding it uses.

Images are decoded and resized ONCE, as the public code's transform does per step:
``Resize((S, S))`` (bilinear, PIL) → ``ToTensor`` → ``CenterCrop(S)``. After ``Resize((S, S))``
the ``CenterCrop(S)`` is a no-op, so it is not applied. ``ToTensor``'s /255 and the ImageNet
mean/std are applied later on the device (``rd4ad.models.inputs.to_model_input``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torchvision.transforms import InterpolationMode
from torchvision.transforms.functional import resize

from rd4ad.errors import RD4ADError


@dataclass
class SplitArrays:
    """One decoded split: uint8 images (N, 3, S, S), labels, optional binary masks, ids."""

    images: torch.Tensor
    labels: np.ndarray
    masks: np.ndarray | None
    names: list[str]
    defects: list[str]
    normalize: bool

    def __post_init__(self) -> None:
        n = len(self.labels)
        sizes = {len(self.images), len(self.names), len(self.defects)} | ({len(self.masks)} if self.masks is not None else set())
        if sizes != {n}:
            raise ValueError(f"SplitArrays fields disagree in length: {sizes | {n}}")


def resize_image(image: Image.Image, size: int) -> np.ndarray:
    """PIL image → uint8 (3, S, S): torchvision ``Resize((S, S))`` bilinear on PIL; gray repeated to RGB."""
    rgb = resize(image, [size, size], InterpolationMode.BILINEAR).convert("RGB")
    return np.asarray(rgb, dtype=np.uint8).transpose(2, 0, 1)


def resize_mask(mask: Image.Image, size: int) -> np.ndarray:
    """Ground-truth mask → binary uint8 (S, S), as the public code: Resize((S, S)) then > 0.5.

    The mask is read as an 8-bit ``L`` image (0/255), resized bilinearly by PIL, and a pixel is
    positive when ``value / 255 > 0.5``, i.e. ``value >= 128``.
    """
    small = np.asarray(resize(mask.convert("L"), [size, size], InterpolationMode.BILINEAR))
    return (small.astype(np.float32) / 255.0 > 0.5).astype(np.uint8)


def open_image(path: Path) -> Image.Image:
    """Open and fully decode ``path``; an unreadable file is an ``RD4ADError`` naming it."""
    try:
        with Image.open(path) as img:
            img.load()
            return img
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise RD4ADError(f"{path}: unreadable image ({err}); re-download or re-generate the dataset "
                         f"(delete its folder and run `python -m rd4ad fetch`/`synth` again)") from err


def stack_images(images: list[np.ndarray], size: int) -> torch.Tensor:
    """List of uint8 (3, S, S) arrays → one uint8 tensor (N, 3, S, S) (empty list allowed)."""
    if not images:
        return torch.zeros((0, 3, size, size), dtype=torch.uint8)
    return torch.from_numpy(np.stack(images))
