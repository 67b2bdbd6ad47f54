"""The images of a replica category: the synthetic generator's, of one synthetic category per dataset."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from rd4ad.data.synth.generator import CATEGORY_DEFECTS, sample

PRIVATE = 1000  # index offset of images no labelled split uses (validation sets, private test sets)


@dataclass(frozen=True)
class Shot:
    """One image of a replica: its split, its kind (``good`` or the synthetic defect), its number
    within that split and kind, the uint8 RGB image and its uint8 0/255 mask."""

    split: str
    kind: str
    index: int
    image: np.ndarray
    mask: np.ndarray


def shots(content: str, n_train: int, n_test_good: int, n_test_defect: int, size: int, seed: int) -> list[Shot]:
    """``n_train`` good training images, ``n_test_good`` good test images and ``n_test_defect`` test images
    per defect of the synthetic category ``content``."""
    plan = [("train", "good", n_train), ("test", "good", n_test_good)]
    plan += [("test", defect, n_test_defect) for defect in CATEGORY_DEFECTS[content]]
    return [
        Shot(split, kind, index, *sample(content, split, kind, index, size, seed))
        for split, kind, count in plan
        for index in range(count)
    ]


def unlabelled(content: str, count: int, size: int, seed: int) -> list[np.ndarray]:
    """``count`` good images drawn apart from every split :func:`shots` gives (a validation set, a private test)."""
    return [sample(content, "train", "good", PRIVATE + k, size, seed)[0] for k in range(count)]


def save(path: Path, array: np.ndarray, **options) -> Path:
    """``array`` (RGB, or an L mask) saved to ``path``, its folders made; ``options`` go to PIL (JPEG quality)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, **options)
    return path


def encoded(mask: np.ndarray, value: int) -> np.ndarray:
    """A 0/255 mask as a dataset encodes it: mode L, ``value`` on the defect, 0 elsewhere."""
    return np.where(mask != 0, value, 0).astype(np.uint8)
