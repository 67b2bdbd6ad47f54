"""Every metric of the paper for each level subset of Table 7, from one pass of inference."""

from __future__ import annotations

import numpy as np
import torch

from rd4ad.data import SplitArrays
from rd4ad.metrics import aupro, image_auroc, pixel_auroc, pro_public
from rd4ad.scoring import HEADLINE, LEVEL_SUBSETS, subset_scores


def evaluate_maps(maps: torch.Tensor, arrays: SplitArrays, reduce: str, device: torch.device,
                  subsets: dict[str, tuple[int, ...]] = LEVEL_SUBSETS):
    """Metrics (fractions) and image scores for every subset; also the headline smoothed maps.

    Returns ``(metrics, scores, headline_maps)`` with ``metrics[subset]`` holding
    image_auroc, pixel_auroc, pro (exact AUPRO) and pro_public (pixel ones None without masks).
    """
    metrics, scores, headline = {}, {}, None
    for name, levels in subsets.items():
        smoothed, image = subset_scores(maps, levels, reduce, device)
        s = image.numpy().astype(np.float64)
        scores[name] = s
        row = {"image_auroc": image_auroc(arrays.labels, s),
               "pixel_auroc": None, "pro": None, "pro_public": None}
        if arrays.masks is not None:
            m = smoothed.numpy()
            row.update(pixel_auroc=pixel_auroc(arrays.masks, m), pro=aupro(arrays.masks, m),
                       pro_public=pro_public(arrays.masks, m))
        metrics[name] = row
        if name == HEADLINE:
            headline = smoothed
    return metrics, scores, headline
