"""Every metric of the paper for each level subset of Table 7, from one pass of inference."""

from __future__ import annotations

import math

import numpy as np
import torch

from rd4ad.data import SplitArrays
from rd4ad.metrics import aupro, image_auroc, pixel_auroc, pro_anomalib22, pro_public
from rd4ad.scoring import HEADLINE, LEVEL_SUBSETS, subset_scores


def metric_row(
    labels: np.ndarray, masks: np.ndarray | None, maps: np.ndarray, scores: np.ndarray, *, audit: bool = True
) -> dict:
    """image_auroc of ``scores``; pixel_auroc, pro (exact AUPRO) and, with ``audit``, pro_public of
    ``maps`` (pixel ones None without masks; pro_public absent without ``audit``)."""
    row = {"image_auroc": image_auroc(labels, scores), "pixel_auroc": None, "pro": None}
    if audit:
        row["pro_public"] = None
    if masks is not None:
        row.update(pixel_auroc=pixel_auroc(masks, maps), pro=aupro(masks, maps))
        if audit:
            row["pro_public"] = pro_public(masks, maps)
    return row


def legacy_pro(masks: np.ndarray | None, maps: np.ndarray) -> float | None:
    """anomalib ≤ 2.2's AUPRO (``pro_anomalib22``) for the protocol audit: None without masks or where it is NaN."""
    if masks is None:
        return None
    value = pro_anomalib22(masks, maps)
    return None if math.isnan(value) else value


def evaluate_maps(
    maps: torch.Tensor,
    arrays: SplitArrays,
    reduce: str,
    device: torch.device,
    subsets: dict[str, tuple[int, ...]] = LEVEL_SUBSETS,
    *,
    border: str = "scipy",
    audit: bool = True,
):
    """Metrics (fractions) and image scores for every subset; also the headline smoothed maps.

    Returns ``(metrics, scores, headline_maps)`` with ``metrics[subset]`` holding
    image_auroc, pixel_auroc, pro (exact AUPRO) and, with ``audit``, pro_public (pixel ones None
    without masks); with ``audit`` the headline subset also holds pro_anomalib22 (:func:`legacy_pro`,
    the audit's third PRO definition, measured on the headline maps only: the slowest metric).
    ``border``: the smoothing's (rd4ad/scoring/smoothing.py), the run's ``map_border``.
    """
    metrics, scores, headline = {}, {}, None
    for name, levels in subsets.items():
        smoothed, image = subset_scores(maps, levels, reduce, device, border=border)
        scores[name] = image.numpy().astype(np.float64)
        metrics[name] = metric_row(arrays.labels, arrays.masks, smoothed.numpy(), scores[name], audit=audit)
        if name == HEADLINE:
            headline = smoothed
            if audit:
                metrics[name]["pro_anomalib22"] = legacy_pro(arrays.masks, smoothed.numpy())
    return metrics, scores, headline
