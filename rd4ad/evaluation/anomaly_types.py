"""Metrics per kind of anomaly, for datasets whose test set mixes kinds scored apart (MVTec LOCO AD:
logical and structural anomalies, each with the good test images, as its paper reports them; the
headline metrics are the kinds together)."""

from __future__ import annotations

import numpy as np

from rd4ad.data import loco
from rd4ad.data.arrays import SplitArrays
from rd4ad.evaluation.levels import metric_row

KINDS = {"loco": loco.TYPES}  # loader → the defect names scored apart


def per_kind(loader: str, arrays: SplitArrays, maps: np.ndarray, scores: np.ndarray) -> dict[str, dict]:
    """For each kind of ``KINDS[loader]`` (none for other loaders): image_auroc, pixel_auroc and pro of
    the good test images plus the anomalous ones of that kind, from the headline ``maps`` and ``scores``."""
    defects = np.asarray(arrays.defects)
    good = arrays.labels == 0
    rows = {}
    for kind in KINDS.get(loader, ()):
        keep = good | (defects == kind)
        masks = None if arrays.masks is None else arrays.masks[keep]
        rows[kind] = metric_row(arrays.labels[keep], masks, maps[keep], scores[keep], audit=False)
    return rows
