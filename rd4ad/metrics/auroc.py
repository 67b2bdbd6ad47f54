"""Image-level and pixel-level AUROC (Tables 1, 2, 4, 5, 7) via scikit-learn's ``roc_auc_score``."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from rd4ad.errors import RD4ADError


def _auroc(what: str, labels: np.ndarray, scores: np.ndarray) -> float:
    labels, scores = np.asarray(labels).ravel(), np.asarray(scores, dtype=np.float64).ravel()
    if labels.shape != scores.shape:
        raise RD4ADError(f"{what}: {labels.size} labels but {scores.size} scores; they must match one to one")
    present = np.unique(labels)
    if not np.isin(present, (0, 1)).all():
        raise RD4ADError(f"{what}: labels must be 0 (normal) or 1 (anomalous), got values {present.tolist()}")
    if len(present) < 2:
        raise RD4ADError(f"{what}: only one class ({present.tolist()}) in the test set; "
                         "AUROC needs both normal and anomalous samples")
    return float(roc_auc_score(labels, scores))


def image_auroc(labels: np.ndarray, scores: np.ndarray) -> float:
    """AUROC of image scores against image labels (0 normal, 1 anomalous)."""
    return _auroc("image_auroc", labels, scores)


def pixel_auroc(masks: np.ndarray, maps: np.ndarray) -> float:
    """AUROC over all test pixels: binary masks (N, H, W) against anomaly maps (N, H, W)."""
    masks, maps = np.asarray(masks), np.asarray(maps)
    if masks.shape != maps.shape:
        raise RD4ADError(f"pixel_auroc: masks {masks.shape} and maps {maps.shape} must have the same shape")
    return _auroc("pixel_auroc", masks, maps)
