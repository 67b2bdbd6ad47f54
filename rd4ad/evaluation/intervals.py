"""A run's test-set uncertainty: bootstrap intervals of its headline metrics (``metrics.json``
``intervals``), i.e. how far its number could move on another draw of test images of the same kind."""

from __future__ import annotations

import numpy as np
import torch

from rd4ad.data import SplitArrays
from rd4ad.scoring import HEADLINE
from rd4ad.statistics.bootstrap import BINS, CONFIDENCE, N_RESAMPLES, SEED, image_auroc_interval, pixel_intervals


def headline_intervals(arrays: SplitArrays, scores: np.ndarray, maps: torch.Tensor | None) -> dict:
    """Intervals (fractions) of image AUROC and, with masks, pixel AUROC and AUPRO, for the headline
    level subset; with the settings that reproduce them."""
    intervals = {"image_auroc": image_auroc_interval(arrays.labels, scores)}
    if arrays.masks is not None and maps is not None:
        intervals.update(pixel_intervals(arrays.masks, maps.numpy()))
    return {
        "level": HEADLINE,
        "method": "stratified bootstrap over test images",
        "confidence": CONFIDENCE,
        "n_resamples": N_RESAMPLES,
        "seed": SEED,
        "bins": BINS,
        **{metric: [low, high] for metric, (low, high) in intervals.items()},
    }
