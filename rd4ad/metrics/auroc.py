"""Image-level and pixel-level AUROC (Tables 1, 2, 4, 5, 7).

Image AUROC is scikit-learn's ``roc_auc_score``. Pixel AUROC ranks millions of pixels (a
256-px MVTec test set: ~10 M), where ``roc_auc_score`` spends seconds building the whole ROC
curve; it is computed instead as the equal Mann–Whitney statistic, ties averaged,
from one ``torch.sort`` (3–4× faster on CPU, milliseconds on a GPU). Both agree with
scikit-learn to rounding (tests/test_metrics_auroc.py).
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from rd4ad.files.errors import RD4ADError


def _check_labels(what: str, present: list) -> None:
    if not set(present) <= {0, 1}:
        raise RD4ADError(f"{what}: labels must be 0 (normal) or 1 (anomalous), got values {present}")
    if len(present) < 2:
        raise RD4ADError(
            f"{what}: only one class ({present}) in the test set; AUROC needs both normal and anomalous samples"
        )


def image_auroc(labels: np.ndarray, scores: np.ndarray) -> float:
    """AUROC of image scores against image labels (0 normal, 1 anomalous)."""
    labels, scores = np.asarray(labels).ravel(), np.asarray(scores, dtype=np.float64).ravel()
    if labels.shape != scores.shape:
        raise RD4ADError(f"image_auroc: {labels.size} labels but {scores.size} scores; they must match one to one")
    _check_labels("image_auroc", np.unique(labels).tolist())
    return float(roc_auc_score(labels, scores))


def rank_auroc(labels: torch.Tensor, scores: torch.Tensor) -> float:
    """AUROC = (Σ ranks of positives − n₁(n₁+1)/2) / (n₁·n₀), ranks averaged over ties; 1-D inputs."""
    ordered, order = torch.sort(scores)
    positive = labels[order].to(torch.float64)
    _, group, counts = torch.unique_consecutive(ordered, return_inverse=True, return_counts=True)
    counts = counts.to(torch.float64)
    mean_rank = torch.cumsum(counts, 0) - (counts - 1) / 2
    positives_per_group = torch.zeros_like(counts).index_add_(0, group, positive)
    n1 = positive.sum()
    n0 = positive.numel() - n1
    return float(((positives_per_group * mean_rank).sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def pixel_auroc(masks: np.ndarray | torch.Tensor, maps: np.ndarray | torch.Tensor) -> float:
    """AUROC over all test pixels: binary masks (N, H, W) against anomaly maps (N, H, W).

    Runs where ``maps`` lives (a CUDA tensor stays on its GPU)."""
    maps = torch.as_tensor(maps)
    masks = torch.as_tensor(masks, device=maps.device)
    if masks.shape != maps.shape:
        raise RD4ADError(
            f"pixel_auroc: masks {tuple(masks.shape)} and maps {tuple(maps.shape)} must have the same shape"
        )
    _check_labels("pixel_auroc", torch.unique(masks).tolist())
    return rank_auroc(masks.reshape(-1), maps.reshape(-1))
