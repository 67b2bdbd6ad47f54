"""anomalib ≤ 2.2's AUPRO (v2.2.0 src/anomalib/metrics/aupro.py) on hand-made maps and a literal re-reading."""

import numpy as np
import pytest
import torch
from skimage import measure

from rd4ad.data.arrays import SplitArrays
from rd4ad.evaluation.levels import evaluate_maps, metric_row
from rd4ad.metrics import aupro, pro_anomalib22
from rd4ad.scoring import HEADLINE


def literal_roc(scores, target):
    """torchmetrics binary_roc, point by point: (0, 0), then each distinct score descending."""
    fpr, tpr = [0.0], [0.0]
    for t in sorted(set(scores.tolist()), reverse=True):
        fpr.append(np.sum((scores >= t) & ~target) / np.sum(~target))
        tpr.append(np.sum((scores >= t) & target) / np.sum(target))
    return np.array(fpr), np.array(tpr)


def literal_interp(x, y, new_x):
    eps = np.finfo(np.float32).eps
    out = []
    for v in new_x:
        i = min(max(int(np.searchsorted(x, v)) - 1, 0), len(x) - 2)
        out.append(y[i] + (y[i + 1] - y[i]) / (eps + x[i + 1] - x[i]) * (v - x[i]))
    return np.array(out)


def literal(masks, maps, limit=0.3):
    """compute_pro and compute of anomalib v2.2.0, step by step on whole arrays (no shortcut)."""
    labels = np.concatenate([measure.label(m, connectivity=2).ravel() for m in masks])
    offsets = np.cumsum([0] + [measure.label(m, connectivity=2).max() for m in masks[:-1]])
    labels = np.where(labels > 0, labels + np.repeat(offsets, masks[0].size), 0)
    scores = maps.ravel().astype(np.float64)
    size = int(np.sum(literal_roc(scores, labels > 0)[0] <= limit))
    fpr_sum, tpr_sum = np.zeros(size), np.zeros(size)
    ids = np.unique(labels[labels > 0])
    for r in ids:
        keep = (labels == 0) | (labels == r)
        fpr, tpr = literal_roc(scores[keep], labels[keep] == r)
        own = fpr[fpr > limit].min() if fpr[fpr <= limit].max() == 0 else limit
        idx = list(np.flatnonzero(fpr <= own))
        new_idx = np.arange(size, dtype=float)
        slope = None
        if not np.isclose(fpr[idx].max(), limit, rtol=1e-5, atol=1e-8):
            extra = int(np.searchsorted(fpr, limit))
            idx.append(extra)
            slope = 1 - (fpr[extra] - limit) / (fpr[extra] - fpr[extra - 1])
        idx = np.array(idx, dtype=float)
        fpr, tpr = fpr[idx.astype(int)], tpr[idx.astype(int)]
        scaled = idx / idx.max() * (size - 1)
        if slope is not None:
            new_idx[-1] = scaled[-2] + (scaled[-1] - scaled[-2]) * slope
        fpr_sum += literal_interp(scaled, fpr, new_idx)
        tpr_sum += literal_interp(scaled, tpr, new_idx)
    fpr, tpr = fpr_sum / len(ids), tpr_sum / len(ids)
    order = np.argsort(fpr, kind="stable")
    return np.trapezoid(tpr[order], fpr[order]) / fpr[-1]


def test_limit_hit_exactly_and_one_region_equals_exact_aupro():
    # 10 normal pixels (FPR steps of .1), one region pixel at .5: curve (0,0) (.1,0) (.2,0) (.2,1) (.3,1);
    # FPR .3 is reached exactly, the region's curve is the global one, so no resampling: 0.1 / 0.3.
    masks = np.zeros((1, 1, 11), dtype=np.uint8)
    masks[0, 0, 0] = 1
    maps = np.array([[[0.5, 0.95, 0.85, 0.45, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05]]])
    assert pro_anomalib22(masks, maps) == pytest.approx(1 / 3)
    assert aupro(masks, maps) == pytest.approx(1 / 3)


def test_resampling_in_index_space_hand_case():
    # 7 normal pixels (FPR steps 1/7), one region pixel scoring highest. Region curve (0,0) (0,1)
    # (1/7,1) (2/7,1) (3/7,1): indices 0..3 have FPR ≤ .3, index 4 is added; M = 4 global points.
    # Indices rescaled onto 0..3: 0, .75, 1.5, 2.25, 3; slope = 1 − (3/7 − .3)/(1/7) = .1, so the
    # last grid point is 2.25 + .75·.1 = 2.325. Resampled FPR 0, 1/21, 5/21, .3, TPR 0, 1, 1, 1:
    # area .5·(1/21) + (.3 − 1/21) = .3 − 1/42, over the last FPR .3 → 58/63 (exact AUPRO: 1).
    masks = np.zeros((1, 1, 8), dtype=np.uint8)
    masks[0, 0, 0] = 1
    maps = np.array([[[1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]]])
    assert pro_anomalib22(masks, maps) == pytest.approx(58 / 63, abs=1e-6)
    assert aupro(masks, maps) == pytest.approx(1.0)


def exceeding_case():
    """Image 0: region A (one pixel, 1.0); image 1: region B (top row, 0.95 … 0.5); normals .9 .6 .4, rest 0."""
    masks = np.zeros((2, 2, 4), dtype=np.uint8)
    maps = np.zeros((2, 2, 4), dtype=np.float32)
    masks[0, 0, 0], maps[0, 0, 0] = 1, 1.0
    masks[1, 0, :] = 1
    maps[1, 0, :] = np.linspace(0.95, 0.5, 4)
    maps[0, 0, 1:4] = [0.9, 0.6, 0.4]
    return masks, maps


def test_exceeds_the_exact_aupro_and_one():
    # A's curve has 6 points where B's (and the global one) has more: A's resampled grid points past
    # its limit point take in FPRs above .3 with TPR 1, while the divisor stays the averaged last
    # FPR .3. anomalib v2.2.0's _AUPRO (float32, torchmetrics 1.9) returns 1.1908146 here.
    masks, maps = exceeding_case()
    value = pro_anomalib22(masks, maps)
    assert value == pytest.approx(1.1908146, abs=1e-6)
    assert value > 1 > aupro(masks, maps)
    assert value == pytest.approx(literal(masks, maps), abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_matches_the_literal_reading(seed):
    rng = np.random.default_rng(seed)
    masks = np.zeros((3, 9, 9), dtype=np.uint8)
    for i, (y, x, s) in enumerate(rng.integers(0, 6, size=(3, 3))):
        masks[i, y : y + s + 1, x : x + s + 1] = 1
    masks[2, 0, 8] = 1  # a second region in image 2
    maps = rng.random(masks.shape) * 0.6 + masks * 0.4 * rng.random()
    if seed % 2:
        maps = np.round(maps * 8) / 8  # ties
    assert pro_anomalib22(masks, maps) == pytest.approx(literal(masks, maps), abs=1e-12)


def test_nan_when_only_the_origin_is_within_the_limit():
    masks = np.zeros((1, 1, 4), dtype=np.uint8)
    masks[0, 0, 0] = 1
    assert np.isnan(pro_anomalib22(masks, np.array([[[0.2, 0.5, 0.5, 0.5]]])))


def test_evaluation_measures_it_on_the_headline_maps_only():
    rng = np.random.default_rng(0)
    masks = np.zeros((4, 16, 16), np.uint8)
    masks[2:, 4:9, 5:11] = 1
    level_maps = torch.from_numpy(rng.random((4, 3, 16, 16)).astype(np.float32) + 0.5 * masks[:, None])
    arrays = SplitArrays(
        torch.zeros((4, 3, 16, 16), dtype=torch.uint8), masks.max((1, 2)), masks, list("abcd"), list("ggbb"), True
    )
    metrics, _, headline = evaluate_maps(level_maps, arrays, "max", torch.device("cpu"))
    assert metrics[HEADLINE]["pro_anomalib22"] == pytest.approx(pro_anomalib22(masks, headline.numpy()))
    assert all("pro_anomalib22" not in row and "pro_public" in row for name, row in metrics.items() if name != HEADLINE)
    assert "pro_public" not in metric_row(arrays.labels, masks, headline.numpy(), np.zeros(4), audit=False)
