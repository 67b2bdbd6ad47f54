"""PRO as the paper's public code computes it (``compute_pro`` in ``test.py``): an audit column.

Per ANOMALOUS image, in float64 as the public code: thresholds ``np.arange(min, max, (max − min)
/ 200)`` of that image's map, binarise ``map > t``, PRO(t) = mean over the image's 8-connected
regions of the covered fraction, FPR(t) over the image's normal pixels; keep FPR < 0.3, divide
FPR by its max, trapezoid area (sklearn ``auc``); then the mean over anomalous images.
Vectorised over thresholds: ``searchsorted`` on each region's and the normal pixels' sorted scores.

Choices where the public code is silent or would fail (documented here):
- "anomalous image" = an image whose mask has at least one region (the public code uses the label;
  an anomalous image with an empty mask makes it crash);
- an image whose curve is undefined is left out of the mean: a constant map (zero step), no normal
  pixel, fewer than two points with FPR < 0.3, or all those FPR equal to 0 (the public code
  raises or returns NaN there). If every anomalous image is left out, RD4ADError.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import auc

from rd4ad.files.errors import RD4ADError
from rd4ad.metrics.pro import label_regions, validate_pixel_inputs

FPR_LIMIT = 0.3


def _covered(sorted_scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Fraction of ``sorted_scores`` strictly above each threshold."""
    return 1.0 - np.searchsorted(sorted_scores, thresholds, side="right") / len(sorted_scores)


def _image_pro(regions: np.ndarray, amap: np.ndarray, num_thresholds: int) -> float | None:
    """The public per-image PRO area, or None where its curve is undefined."""
    low, high = amap.min(), amap.max()
    normal = np.sort(amap[regions == 0])
    if high == low or normal.size == 0:
        return None
    thresholds = np.arange(low, high, (high - low) / num_thresholds)
    fpr = _covered(normal, thresholds)
    ids = np.unique(regions[regions > 0])
    pro = np.mean([_covered(np.sort(amap[regions == r]), thresholds) for r in ids], axis=0)
    keep = fpr < FPR_LIMIT
    if keep.sum() < 2 or fpr[keep].max() == 0:
        return None
    return float(auc(fpr[keep] / fpr[keep].max(), pro[keep]))


def pro_public(masks: np.ndarray, maps: np.ndarray, num_thresholds: int = 200) -> float:
    """Mean over anomalous images of the public code's per-image 200-threshold PRO area."""
    masks, maps = validate_pixel_inputs("pro_public", masks, maps)
    maps = maps.astype(np.float64)
    regions, n_regions = label_regions(masks)
    if n_regions == 0:
        raise RD4ADError("pro_public: the ground-truth masks contain no anomalous region; PRO is undefined")
    areas = [_image_pro(r, m, num_thresholds) for r, m in zip(regions, maps) if (r > 0).any()]
    defined = [a for a in areas if a is not None]
    if not defined:
        raise RD4ADError(
            "pro_public: no anomalous image has a defined PRO curve (constant maps or "
            "no normal pixels); check the anomaly maps"
        )
    return float(np.mean(defined))
