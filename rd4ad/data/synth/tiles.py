"""A procedurally drawn texture category, ``ceramic``: a floor of square ceramic tiles (MVTec AD's tile
and grid are textures of this kind).

About three tiles across the image, each its own shade of one glaze, with mild glaze noise, separated by
pale grout lines; the grid's phase and pitch vary from image to image, so the texture is regular but
never the same crop twice. Returns the float RGB image (H, W, 3) in [0, 1]; defects may go anywhere.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

GLAZE = np.array([0.30, 0.45, 0.62], np.float32)  # slate blue
GROUT = np.array([0.80, 0.78, 0.74], np.float32)
TILES_ACROSS = 3
PITCH_JITTER = 0.05  # the tile pitch varies by ± this fraction from image to image
SHADE_SPREAD = 0.04  # each tile's shade of the glaze: 1 ± this
GLAZE_NOISE = 0.03  # amplitude of the smooth glaze noise


def draw_tiles(size: int, rng: np.random.Generator) -> np.ndarray:
    """One tiled-floor image."""
    pitch = size / TILES_ACROSS * rng.uniform(1 - PITCH_JITTER, 1 + PITCH_JITTER)
    phase = rng.uniform(0, pitch, 2)
    rows, cols = (np.mgrid[0:size, 0:size].astype(np.float32) + phase[:, None, None]) / pitch
    grout = (np.minimum(rows % 1, cols % 1) * pitch) < max(1.0, 0.07 * pitch)
    shades = rng.uniform(1 - SHADE_SPREAD, 1 + SHADE_SPREAD, (TILES_ACROSS + 2, TILES_ACROSS + 2)).astype(np.float32)
    shade = shades[rows.astype(int), cols.astype(int)]
    noise = gaussian_filter(rng.normal(0, 1, (size, size)), 1.5).astype(np.float32)
    image = GLAZE * (shade + GLAZE_NOISE * noise)[..., None]
    image[grout] = (GROUT * (1 + 0.03 * noise)[..., None])[grout]
    return np.clip(image, 0.0, 1.0)
