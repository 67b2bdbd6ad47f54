"""A procedurally drawn object category: a hexagonal nut (skimage.draw) with pose jitter.

Each image draws the nut at a random rotation, a small random offset and scale, with a brass
body shaded by a light gradient, a threaded bore, and mild noise on a dark background.
Returns the float RGB image (H, W, 3) in [0, 1] and the nut's foreground mask (defects go there).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter
from skimage.draw import disk, polygon

BRASS = np.array([0.78, 0.64, 0.36], np.float32)
BACKGROUND = 0.18


def draw_nut(size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One nut image and its foreground mask."""
    center = size / 2 + rng.uniform(-0.04, 0.04, 2) * size
    radius = 0.36 * size * rng.uniform(0.95, 1.05)
    angle = rng.uniform(0, np.pi / 3)
    corners = angle + np.arange(6) * np.pi / 3
    body = np.zeros((size, size), bool)
    body[polygon(center[0] + radius * np.sin(corners), center[1] + radius * np.cos(corners), (size, size))] = True
    bore = np.zeros_like(body)
    bore[disk(center, 0.42 * radius, shape=(size, size))] = True
    thread = np.zeros_like(body)
    thread[disk(center, 0.52 * radius, shape=(size, size))] = True
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32) / size
    light = rng.uniform(0, 2 * np.pi)
    shade = 0.8 + 0.25 * (np.cos(light) * (rows - 0.5) + np.sin(light) * (cols - 0.5))
    noise = gaussian_filter(rng.normal(0, 1, (size, size)), 1.0).astype(np.float32)
    image = np.full((size, size, 3), BACKGROUND, np.float32) + 0.02 * noise[..., None]
    foreground = body & ~bore
    image[foreground] = (BRASS * (shade + 0.03 * noise)[..., None])[foreground]
    image[thread & ~bore] *= 0.72
    return np.clip(image, 0.0, 1.0), foreground
