"""Defects with exact pixel masks, named like MVTec's defect folders.

Every defect draws a shape (a curve, an ellipse) inside the allowed region (the whole texture,
or the object's foreground), replaces exactly those pixels, and returns that shape as its mask:
no pixel outside the mask changes. Sizes scale with the image side ``S``.

- ``scratch``: a thickened Bézier curve, 0.25–0.45 S long, pulled towards white or black.
- ``color``: an ellipse blended towards a saturated colour that differs from the surface it covers
  (``oil``: towards near-black, for gray categories).
- ``contamination``: an ellipse cut from another texture and pasted (cut-paste).
- ``hole``: an ellipse darkened to a shadowed cavity.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.ndimage import binary_dilation
from skimage.draw import bezier_curve, ellipse
from skimage.morphology import disk

PALETTE = np.array([[0.85, 0.15, 0.1], [0.1, 0.25, 0.85], [0.9, 0.8, 0.1], [0.6, 0.1, 0.7]], np.float32)
MIN_COLOR_DISTANCE = 0.4  # RGB distance; red and blue are 1.0 apart, so one of them always qualifies


def _center(region: np.ndarray, rng: np.random.Generator, margin: float) -> np.ndarray:
    """A random pixel of ``region`` at least ``margin`` · S from the border (any region pixel if none)."""
    inner = np.zeros_like(region)
    m = int(margin * region.shape[0])
    inner[m : region.shape[0] - m, m : region.shape[1] - m] = True
    candidates = np.argwhere(region & inner if (region & inner).any() else region)
    return candidates[rng.integers(len(candidates))].astype(float)


def _blob(region: np.ndarray, rng: np.random.Generator, lo: float, hi: float) -> np.ndarray:
    size = region.shape[0]
    r, c = _center(region, rng, hi)
    radii = rng.uniform(lo, hi, 2) * size
    shape = np.zeros_like(region)
    shape[ellipse(r, c, radii[0], radii[1], shape=region.shape, rotation=rng.uniform(0, np.pi))] = True
    return shape & region


def _blend(image: np.ndarray, mask: np.ndarray, target: np.ndarray, weight: float) -> np.ndarray:
    out = image.copy()
    out[mask] = (1 - weight) * image[mask] + weight * target
    return out


def scratch(image, region, rng, donor):
    """Thin curved line; its pixels move 65 % of the way to white (dark surroundings) or black."""
    size = region.shape[0]
    middle = _center(region, rng, 0.25)
    direction = rng.normal(size=2)
    half = direction / np.linalg.norm(direction) * rng.uniform(0.125, 0.225) * size
    start, end = middle - half, middle + half
    bend = middle + rng.normal(0, 0.08 * size, 2)
    rr, cc = bezier_curve(
        *np.round(start).astype(int),
        *np.round(bend).astype(int),
        *np.round(end).astype(int),
        weight=1.0,
        shape=region.shape,
    )
    line = np.zeros_like(region)
    line[rr, cc] = True
    mask = binary_dilation(line, disk(max(1, size // 96))) & region
    target = np.float32(0.05 if image[mask].mean() > 0.5 else 0.95)
    return _blend(image, mask, target, 0.65), mask


def color(image, region, rng, donor):
    """Ellipse (0.05–0.1 S radii) blended 60 % towards a saturated palette colour, drawn among those at
    least ``MIN_COLOR_DISTANCE`` from the mean colour it covers (a red stain on a red surface is no defect)."""
    mask = _blob(region, rng, 0.05, 0.1)
    covered = image[mask].mean(axis=0) if mask.any() else image.reshape(-1, image.shape[-1]).mean(axis=0)
    visible = PALETTE[np.linalg.norm(PALETTE - covered, axis=1) >= MIN_COLOR_DISTANCE]
    return _blend(image, mask, visible[rng.integers(len(visible))], 0.6), mask


def oil(image, region, rng, donor):
    """Ellipse (0.05–0.1 S radii) blended 70 % towards near-black (a gray-category stain)."""
    mask = _blob(region, rng, 0.05, 0.1)
    return _blend(image, mask, np.float32(0.04), 0.7), mask


def contamination(image, region, rng, donor):
    """Ellipse (0.06–0.12 S radii) replaced by the same pixels of another texture."""
    mask = _blob(region, rng, 0.06, 0.12)
    out = image.copy()
    out[mask] = donor[mask]
    return out, mask


def hole(image, region, rng, donor):
    """Ellipse (0.04–0.08 S radii) pulled 85 % of the way to black: a cavity."""
    mask = _blob(region, rng, 0.04, 0.08)
    return _blend(image, mask, np.float32(0.02), 0.85), mask


DEFECTS: dict[str, Callable] = {
    "scratch": scratch,
    "color": color,
    "oil": oil,
    "contamination": contamination,
    "hole": hole,
}
