"""Procedurally drawn object categories (skimage.draw) with pose jitter.

- ``nut``: a hexagonal nut at a random rotation, small random offset and scale, with a brass body
  shaded by a light gradient, a threaded bore, and mild noise on a dark background.
- ``caplet``: a two-coloured capsule (MVTec AD's capsule and pill categories are of this kind) lying
  at a random angle, its halves shaded across their width, with mild noise on a pale background.

Each returns the float RGB image (H, W, 3) in [0, 1] and the object's foreground mask (defects go there).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter
from skimage.draw import disk, polygon

BRASS = np.array([0.78, 0.64, 0.36], np.float32)
BACKGROUND = 0.18
CAPSULE_HALVES = (np.array([0.86, 0.22, 0.16], np.float32), np.array([0.93, 0.90, 0.84], np.float32))
CAPSULE_BACKGROUND = 0.55


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


def draw_caplet(size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One capsule image and its foreground mask: a stadium (a rectangle with round ends), red and white halves."""
    center = size / 2 + rng.uniform(-0.04, 0.04, 2) * size
    half_length = 0.30 * size * rng.uniform(0.95, 1.05)
    radius = 0.14 * size * rng.uniform(0.95, 1.05)
    angle = rng.uniform(-0.35, 0.35)  # lying roughly horizontal, as a feeder would present it
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)
    along = (cols - center[1]) * np.cos(angle) + (rows - center[0]) * np.sin(angle)
    across = -(cols - center[1]) * np.sin(angle) + (rows - center[0]) * np.cos(angle)
    body = np.hypot(np.clip(np.abs(along) - half_length, 0, None), across) <= radius
    shade = 0.75 + 0.3 * np.cos(np.clip(across / radius, -1, 1) * np.pi / 2)  # a cylinder lit from above
    noise = gaussian_filter(rng.normal(0, 1, (size, size)), 1.0).astype(np.float32)
    image = np.full((size, size, 3), CAPSULE_BACKGROUND, np.float32) + 0.02 * noise[..., None]
    for half, colour in zip((along < 0, along >= 0), CAPSULE_HALVES):
        part = body & half
        image[part] = (colour * (shade + 0.03 * noise)[..., None])[part]
    return np.clip(image, 0.0, 1.0), body
