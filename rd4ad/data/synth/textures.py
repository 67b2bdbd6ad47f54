"""Texture crops from the 512×512 gray textures scikit-image ships (brick, grass, gravel).

Training crops come from the top half of the texture (rows 0–255), test crops from the bottom
half (rows 256–511), so no test pixel was ever seen in training. Colour categories tint the gray
texture; images are float RGB (H, W, 3) in [0, 1].
"""

from __future__ import annotations

from functools import cache

import numpy as np
import skimage.data
from PIL import Image

SOURCES = {"brick": skimage.data.brick, "grass": skimage.data.grass, "gravel": skimage.data.gravel}
TINTS = {"brick": (1.0, 0.66, 0.52), "grass": (0.62, 1.0, 0.5), "gravel": (1.0, 1.0, 1.0)}
HALF = 256


@cache
def texture(name: str) -> np.ndarray:
    """The 512×512 uint8 gray texture ``name`` (read once; scikit-image ships it)."""
    return SOURCES[name]()


def texture_crop(name: str, split: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """A random ``size``×``size`` crop of texture ``name`` from its ``split`` half, tinted, float RGB."""
    gray = texture(name)
    half = gray[:HALF] if split == "train" else gray[HALF:]
    side = min(size, HALF)
    y = int(rng.integers(0, HALF - side + 1))
    x = int(rng.integers(0, gray.shape[1] - side + 1))
    patch = half[y : y + side, x : x + side]
    if rng.random() < 0.5:
        patch = patch[:, ::-1]
    if side != size:
        patch = np.asarray(Image.fromarray(np.ascontiguousarray(patch)).resize((size, size), Image.BILINEAR))
    return (patch.astype(np.float32) / 255.0)[..., None] * np.asarray(TINTS[name], np.float32)
