"""The evaluation's CPU time beyond the forward pass: smoothing, the metrics of every level subset (pixel
AUROC, AUPRO and the public code's PRO where there are masks) and the bootstrap intervals; and a training
audit's (the headline subset's metrics alone).

Measured on synthetic maps (half of them anomalous with a square defect) at two sizes, with and without
masks (MVTec has masks; the novelty datasets do not), on this process's threads: a fixed part and a part
per pixel (about linear in the pixels from 128 px on: 1.1-1.5 µs per pixel with masks on one thread of a
2-core EPYC).
"""

from __future__ import annotations

import time

import numpy as np
import torch

from rd4ad.cost.estimate import cost_key
from rd4ad.data import SplitArrays
from rd4ad.evaluation.intervals import headline_intervals
from rd4ad.evaluation.levels import evaluate_maps
from rd4ad.scoring import HEADLINE, LEVEL_SUBSETS

KINDS = ("evaluate", "audit")  # an evaluate job: every level subset and the intervals; an audit: the headline


def synthetic_split(n_images: int, size: int, masks: bool) -> tuple[SplitArrays, torch.Tensor]:
    """A test split of ``n_images`` blank images with level maps (N, 3, S, S); masks on the anomalous half."""
    gen = torch.Generator().manual_seed(0)
    labels = np.arange(n_images) % 2
    mask = np.zeros((n_images, size, size), np.uint8)
    mask[labels == 1, size // 4 : size // 2, size // 4 : size // 2] = 1
    maps = torch.rand(n_images, len(LEVEL_SUBSETS["M1+2+3"]), size, size, generator=gen)
    maps += torch.from_numpy(mask).unsqueeze(1)
    arrays = SplitArrays(
        images=torch.zeros(n_images, 3, size, size, dtype=torch.uint8),
        labels=labels,
        masks=mask if masks else None,
        names=[f"{i}.png" for i in range(n_images)],
        defects=["good" if label == 0 else "square" for label in labels],
        normalize=True,
    )
    return arrays, maps


def evaluation_seconds(n_images: int, size: int, masks: bool, kind: str = "evaluate") -> float:
    """CPU seconds of one evaluation's (``kind``: see ``KINDS``) metrics for ``n_images`` maps of ``size`` px."""
    arrays, maps = synthetic_split(n_images, size, masks)
    subsets = LEVEL_SUBSETS if kind == "evaluate" else {HEADLINE: LEVEL_SUBSETS[HEADLINE]}
    tic = time.perf_counter()
    _, scores, headline = evaluate_maps(maps, arrays, "max", torch.device("cpu"), subsets)
    if kind == "evaluate":
        headline_intervals(arrays, scores[HEADLINE], headline)
    return time.perf_counter() - tic


def evaluation_cost(n_images: int = 16, sizes: tuple[int, int] = (128, 256)) -> dict[str, tuple[float, float]]:
    """``"<kind>/<masks>"`` → (fixed seconds, seconds per test-map pixel): the line through
    ``evaluation_seconds`` of ``n_images`` maps at the two ``sizes`` (its fixed part at least 0)."""
    out = {}
    for kind in KINDS:
        for masks in (True, False):
            (p1, t1), (p2, t2) = ((n_images * s * s, evaluation_seconds(n_images, s, masks, kind)) for s in sizes)
            per_pixel = max(t2 - t1, 0.0) / (p2 - p1)
            out[cost_key(kind, masks)] = (max(t1 - per_pixel * p1, 0.0), per_pixel)
    return out
