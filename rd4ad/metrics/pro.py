"""Exact AUPRO, the MVTec AD definition (FPR ≤ 0.3, normalised): the headline PRO of Tables 1, 2, 5, 7.

Sort-based: one sort of the pixels by score; each normal pixel counts 1/N_normal (FPR), each
pixel of region r counts 1/(n_regions · |r|) (PRO); cumulative sums read at the last pixel of
each run of equal scores give the curve at every distinct threshold, ties entering together.
Only pixels scoring at least the first threshold whose FPR passes the limit can move the curve
below it, so only those are sorted (an ``np.partition`` of the normal scores finds it).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage
from sklearn.metrics import auc

from rd4ad.files.errors import RD4ADError

EIGHT_CONNECTED_PER_IMAGE = np.zeros((3, 3, 3), dtype=int)
EIGHT_CONNECTED_PER_IMAGE[1] = 1


def validate_pixel_inputs(what: str, masks: np.ndarray, maps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks (N, H, W) in {0, 1} as bool, finite floating maps of the same shape."""
    masks, maps = np.asarray(masks), np.asarray(maps)
    if masks.ndim != 3 or masks.shape != maps.shape:
        raise RD4ADError(f"{what}: masks {masks.shape} and maps {maps.shape} must both be (N, H, W)")
    if not ((masks == 0) | (masks == 1)).all():
        raise RD4ADError(f"{what}: masks must be binary (0/1); binarise the ground truth with > 0.5 first")
    if not np.issubdtype(maps.dtype, np.floating):
        maps = maps.astype(np.float64)
    if not np.isfinite(maps).all():
        raise RD4ADError(f"{what}: anomaly maps contain NaN or infinite values")
    return masks.astype(bool), maps


def label_regions(masks: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components of each mask, numbered 1..n over the whole set (0 = normal)."""
    return ndimage.label(masks, structure=EIGHT_CONNECTED_PER_IMAGE)


def _sort_descending(scores: np.ndarray, regions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score keys (equal ⇔ equal scores) and region ids of the pixels by descending score.

    float32: one ``np.sort`` of uint64 keys (order-preserving score bits << 32 | region id; + 0
    folds −0.0 into 0.0), several times faster than an argsort plus gathers; else ``np.argsort``.
    """
    if scores.dtype != np.float32:
        order = np.argsort(scores)[::-1]
        return scores[order], regions[order]
    bits = (scores + np.float32(0)).view(np.uint32)
    ordered = np.where(bits >> np.uint32(31) == 1, ~bits, bits | np.uint32(1 << 31))
    keys = np.sort((ordered.astype(np.uint64) << np.uint64(32)) | regions.astype(np.uint64))[::-1]
    return keys >> np.uint64(32), (keys & np.uint64(0xFFFFFFFF)).astype(np.intp)


def pro_curve(masks: np.ndarray, maps: np.ndarray, max_fpr: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(FPR, PRO) at every distinct threshold by descending score, from (0, 0) down to the first
    threshold whose FPR exceeds ``max_fpr`` (the whole curve for 1.0)."""
    if not 0 < max_fpr <= 1:
        raise RD4ADError(f"aupro: the FPR limit must be in (0, 1] (got {max_fpr})")
    masks, maps = validate_pixel_inputs("aupro", masks, maps)
    regions, n_regions = label_regions(masks)
    regions, scores = regions.ravel(), maps.ravel()
    is_normal = regions == 0
    n_normal = int(is_normal.sum())
    if n_regions == 0:
        raise RD4ADError("aupro: the ground-truth masks contain no anomalous region; PRO is undefined")
    if n_normal == 0:
        raise RD4ADError("aupro: the ground-truth masks contain no normal pixel; FPR is undefined")
    k = math.floor(max_fpr * n_normal) + 1
    cut = np.partition(scores[is_normal], n_normal - k)[n_normal - k] if k <= n_normal else -np.inf
    keep = scores >= cut
    sorted_scores, sorted_regions = _sort_descending(scores[keep], regions[keep])
    pro_weight = np.zeros(n_regions + 1)
    pro_weight[1:] = 1.0 / (n_regions * np.bincount(regions[~is_normal], minlength=n_regions + 1)[1:])
    last_of_run = np.append(sorted_scores[1:] != sorted_scores[:-1], True)
    fpr = np.cumsum(sorted_regions == 0)[last_of_run] / n_normal
    pro = np.cumsum(pro_weight[sorted_regions])[last_of_run]
    return np.concatenate(([0.0], fpr)), np.concatenate(([0.0], np.clip(pro, 0, 1)))


def aupro(masks: np.ndarray, maps: np.ndarray, fpr_limit: float = 0.3) -> float:
    """Area under PRO(FPR) on [0, fpr_limit] (trapezoids, interpolated at fpr_limit) / fpr_limit."""
    fpr, pro = pro_curve(masks, maps, max_fpr=fpr_limit)
    end = int(np.searchsorted(fpr, fpr_limit, side="right"))
    x, y = fpr[:end], pro[:end]
    if x[-1] < fpr_limit:
        x, y = np.append(x, fpr_limit), np.append(y, np.interp(fpr_limit, fpr[end - 1 :], pro[end - 1 :]))
    return float(auc(x, y) / fpr_limit)
