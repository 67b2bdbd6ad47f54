"""Every metric of the paper for each level subset of Table 7, from one pass of inference."""

from __future__ import annotations

import numpy as np
import torch

from rd4ad.data import SplitArrays
from rd4ad.metrics import aupro, image_auroc, pixel_auroc, pro_public
from rd4ad.scoring import HEADLINE, LEVEL_SUBSETS, subset_scores


def metric_row(labels: np.ndarray, masks: np.ndarray | None, maps: np.ndarray, scores: np.ndarray) -> dict:
    """image_auroc of ``scores``; pixel_auroc, pro (exact AUPRO) and pro_public of ``maps`` (None without masks)."""
    row = {"image_auroc": image_auroc(labels, scores), "pixel_auroc": None, "pro": None, "pro_public": None}
    if masks is not None:
        row.update(pixel_auroc=pixel_auroc(masks, maps), pro=aupro(masks, maps), pro_public=pro_public(masks, maps))
    return row


def evaluate_maps(
    maps: torch.Tensor,
    arrays: SplitArrays,
    reduce: str,
    device: torch.device,
    subsets: dict[str, tuple[int, ...]] = LEVEL_SUBSETS,
    *,
    border: str = "scipy",
):
    """Metrics (fractions) and image scores for every subset; also the headline smoothed maps.

    Returns ``(metrics, scores, headline_maps)`` with ``metrics[subset]`` holding
    image_auroc, pixel_auroc, pro (exact AUPRO) and pro_public (pixel ones None without masks). ``border``:
    the smoothing's (rd4ad/scoring/smoothing.py), the run's ``map_border``.
    """
    metrics, scores, headline = {}, {}, None
    for name, levels in subsets.items():
        smoothed, image = subset_scores(maps, levels, reduce, device, border=border)
        scores[name] = image.numpy().astype(np.float64)
        metrics[name] = metric_row(arrays.labels, arrays.masks, smoothed.numpy(), scores[name])
        if name == HEADLINE:
            headline = smoothed
    return metrics, scores, headline
