"""Every metric of the paper for each level subset of Table 7, from one pass of inference."""

from __future__ import annotations

import math

import numpy as np
import torch

from rd4ad.data import SplitArrays
from rd4ad.metrics import aupro, image_auroc, pixel_auroc, pro_anomalib22, pro_public
from rd4ad.scoring import HEADLINE, LEVEL_SUBSETS, subset_scores

AUDIT_PRO = ("pro_public", "pro_anomalib22")  # the other libraries' PRO definitions, beside the exact ``pro``


def metric_row(
    labels: np.ndarray, masks: np.ndarray | None, maps: np.ndarray, scores: np.ndarray, *, audit: bool = True
) -> dict:
    """image_auroc of ``scores``; pixel_auroc, pro (exact AUPRO) and, with ``audit``, pro_public and
    pro_anomalib22 of ``maps`` (pixel ones None without masks, pro_anomalib22 None where it is NaN; the
    audit keys absent without ``audit``)."""
    row = {"image_auroc": image_auroc(labels, scores), "pixel_auroc": None, "pro": None}
    if audit:
        row.update(dict.fromkeys(AUDIT_PRO))
    if masks is not None:
        row.update(pixel_auroc=pixel_auroc(masks, maps), pro=aupro(masks, maps))
        if audit:
            legacy = pro_anomalib22(masks, maps)
            row.update(pro_public=pro_public(masks, maps), pro_anomalib22=None if math.isnan(legacy) else legacy)
    return row


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
    image_auroc, pixel_auroc, pro (exact AUPRO) and, with ``audit``, pro_public and pro_anomalib22 (pixel
    ones None without masks). ``border``: the smoothing's (rd4ad/scoring/smoothing.py), the run's ``map_border``.
    """
    metrics, scores, headline = {}, {}, None
    for name, levels in subsets.items():
        smoothed, image = subset_scores(maps, levels, reduce, device, border=border)
        scores[name] = image.numpy().astype(np.float64)
        metrics[name] = metric_row(arrays.labels, arrays.masks, smoothed.numpy(), scores[name], audit=audit)
        if name == HEADLINE:
            headline = smoothed
    return metrics, scores, headline
