"""AUPRO as anomalib ≤ 2.2 computes it (``_AUPRO`` in ``src/anomalib/metrics/aupro.py`` at tag v2.2.0): an audit column.

The steps of that file (``compute_pro``, ``interp1d``, ``compute``), with ``num_thresholds=None``:

1. the global ROC of all pixels (torchmetrics ``binary_roc``: (0, 0), then one point per distinct
   score, descending) fixes ``M`` = the number of its points with FPR ≤ ``fpr_limit``;
2. per 8-connected region (numbered across images as ``connected_components_cpu``), the ROC of the
   normal pixels plus that region's pixels; its points with FPR ≤ the limit (or, if those all have
   FPR 0, up to the first FPR above it, an index then listed twice) plus, where the last FPR is not
   ``allclose`` to the limit, the first point with FPR ≥ the limit; their indices are rescaled
   linearly onto 0 … M − 1, and FPR and TPR are resampled by ``interp1d`` (linear, eps-guarded
   slope, end segments extrapolated) at 0, 1, …, M − 2 and a last point placed where the
   interpolated FPR equals the limit;
3. FPR and TPR averaged over regions; ``auc(fpr, tpr, reorder=True)`` (stable sort by FPR,
   trapezoids) divided by the averaged LAST FPR ``fpr[-1]``.

Where a region's curve has fewer points than the global one, the resampled grid points M − 2,
M − 3, … can lie past that region's limit point, so the area takes in FPRs beyond the limit while
the divisor stays at the limit: the score exceeds the exact AUPRO and can exceed 1 (the
normalisation anomalib replaced from v2.3).

Computed in float64 (anomalib: float32), so results agree to about 1e-6. torchmetrics passes
scores outside [0, 1] through a sigmoid first: monotone, so it changes nothing here except
merging float32 scores the sigmoid rounds together, which is not reproduced.
"""

from __future__ import annotations

import math

import numpy as np

from rd4ad.files.errors import RD4ADError
from rd4ad.metrics.pro import label_regions, validate_pixel_inputs

FLOAT32_EPS = float(np.finfo(np.float32).eps)  # interp1d's eps: torch.finfo(float32).eps


def _roc(
    normal: np.ndarray, positives: np.ndarray, *, n_normal: int, n_positives: int
) -> tuple[np.ndarray, np.ndarray]:
    """(FPR, TPR) as torchmetrics ``binary_roc``: (0, 0), then every distinct score, descending.

    ``normal``: (distinct normal scores ascending, how many normal pixels score ≥ each); ``positives``:
    scores ascending; both only the top ones of ``n_normal`` and ``n_positives`` pixels. The distinct
    positive scores no normal pixel has are inserted among the normal ones (one merge, no sort).
    """
    values, at_least = normal
    distinct = np.unique(positives)
    pos = np.searchsorted(values, distinct, side="left")
    new = (pos == values.size) | (values[np.minimum(pos, values.size - 1)] != distinct)
    thresholds = np.insert(values, pos[new], distinct[new])[::-1]
    fps = np.insert(at_least, pos[new], np.append(at_least, 0)[pos[new]])[::-1]
    tps = positives.size - np.searchsorted(positives, thresholds, side="left")
    return np.concatenate(([0.0], fps / n_normal)), np.concatenate(([0.0], tps / n_positives))


def _interp1d(old_x: np.ndarray, old_ys: tuple[np.ndarray, ...], new_x: np.ndarray) -> list[np.ndarray]:
    """anomalib's ``interp1d`` of each of ``old_ys``: left neighbour by ``searchsorted`` − 1, clamped;
    eps-guarded slope (the neighbours found once for all)."""
    idx = np.clip(np.searchsorted(old_x, new_x, side="left") - 1, 0, old_x.size - 2)
    step, offset = FLOAT32_EPS + (old_x[1:] - old_x[:-1]), new_x - old_x[idx]
    return [old_y[idx] + ((old_y[1:] - old_y[:-1]) / step)[idx] * offset for old_y in old_ys]


def _region_curve(fpr: np.ndarray, tpr: np.ndarray, fpr_limit: float, size: int) -> tuple[np.ndarray, np.ndarray]:
    """One region's (FPR, TPR) resampled onto ``size`` points as ``compute_pro``'s loop body."""
    limit = fpr[fpr > fpr_limit].min() if fpr[fpr <= fpr_limit].max() == 0 else fpr_limit
    idx = np.flatnonzero(fpr <= limit)
    new_idx = np.arange(size, dtype=np.float64)
    slope = None
    if not abs(fpr[idx].max() - fpr_limit) <= 1e-8 + 1e-5 * fpr_limit:  # torch.allclose(fpr, limit)
        extra = int(np.searchsorted(fpr, fpr_limit, side="left"))
        idx = np.append(idx, extra)
        slope = 1 - (fpr[extra] - fpr_limit) / (fpr[extra] - fpr[extra - 1])
    fpr, tpr = fpr[idx], tpr[idx]
    scaled = idx / idx.max() * new_idx.max()
    if slope is not None:
        new_idx[-1] = scaled[-2] + (scaled[-1] - scaled[-2]) * slope
    region_fpr, region_tpr = _interp1d(scaled, (fpr, tpr), new_idx)
    return region_fpr, region_tpr


def pro_anomalib22(masks: np.ndarray, maps: np.ndarray, *, fpr_limit: float = 0.3) -> float:
    """anomalib ≤ 2.2's AUPRO of (N, H, W) binary ``masks`` and anomaly ``maps`` (may exceed 1).

    NaN, as anomalib, where the global ROC has no point but (0, 0) with FPR ≤ ``fpr_limit``."""
    if not 0 < fpr_limit < 1:
        raise RD4ADError(f"pro_anomalib22: the FPR limit must be in (0, 1) (got {fpr_limit})")
    masks, maps = validate_pixel_inputs("pro_anomalib22", masks, maps)
    regions, n_regions = label_regions(masks)
    regions, scores = regions.ravel(), maps.ravel().astype(np.float64)
    if n_regions == 0:
        raise RD4ADError("pro_anomalib22: the ground-truth masks contain no anomalous region; PRO is undefined")
    normal = np.sort(scores[regions == 0])
    if normal.size == 0:
        raise RD4ADError("pro_anomalib22: the ground-truth masks contain no normal pixel; FPR is undefined")
    # Every curve's points up to its first FPR above the limit come from scores ≥ the k-th largest
    # normal score (the first threshold whose FPR passes the limit); later points are never read.
    cut = normal[normal.size - (math.floor(fpr_limit * normal.size) + 1)]
    values = np.unique(normal[normal >= cut])
    top = (values, normal.size - np.searchsorted(normal, values, side="left"))
    anomalous = np.sort(scores[(regions > 0) & (scores >= cut)])
    global_fpr, _ = _roc(top, anomalous, n_normal=normal.size, n_positives=max(anomalous.size, 1))
    size = int(np.count_nonzero(global_fpr <= fpr_limit))
    if size < 2:  # only (0, 0) within the limit: anomalib divides 0 by 0
        return math.nan
    fpr_sum, tpr_sum = np.zeros(size), np.zeros(size)
    order = np.argsort(regions, kind="stable")
    bounds = np.searchsorted(regions[order], np.arange(1, n_regions + 2))
    for start, stop in zip(bounds[:-1], bounds[1:]):
        region = np.sort(scores[order[start:stop]])
        fpr, tpr = _roc(top, region[region >= cut], n_normal=normal.size, n_positives=region.size)
        region_fpr, region_tpr = _region_curve(fpr, tpr, fpr_limit, size)
        fpr_sum += region_fpr
        tpr_sum += region_tpr
    fpr, tpr = fpr_sum / n_regions, tpr_sum / n_regions
    order = np.argsort(fpr, kind="stable")
    return float(np.trapezoid(tpr[order], fpr[order]) / fpr[-1])
