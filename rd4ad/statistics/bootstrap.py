"""Test-set uncertainty of one run: 95 % bootstrap intervals of image AUROC, pixel AUROC and AUPRO.

How much can one category's number say at all? A resample draws the test images again with
replacement, normal and anomalous images separately (stratified: every resample keeps both
classes and the test set's class balance); the interval is the 2.5th–97.5th percentile of the
metric over ``n_resamples`` resamples, drawn by ``numpy.random.default_rng(seed)``: the same
inputs give the same interval.

- **Image AUROC** is exact per resample: w₁ᵀ C w₀ / (Σw₁ · Σw₀), with C the pairwise comparison of
  anomalous and normal image scores (1 higher, ½ tied) and w the resample's draw counts.
- **Pixel AUROC and AUPRO** resample whole images (an image brings all its pixels and its whole
  defect regions). The pixel scores are placed once on a grid of at most ``bins`` thresholds (every
  distinct score when there are fewer; otherwise thresholds at equal pixel quantiles), each image
  is summarised on it (histograms of its normal and anomalous pixels; the overlap curve of each
  of its regions), and a resample is a weighted sum of those summaries — not a new sort of
  millions of pixels. With at most ``bins`` distinct scores each resampled value equals the metric
  computed directly on the resampled images; with more, the thresholds are the grid's.
"""

from __future__ import annotations

import numpy as np

from rd4ad.files.errors import RD4ADError
from rd4ad.metrics.pro import label_regions, validate_pixel_inputs

CONFIDENCE = 0.95
N_RESAMPLES = 1000
BINS = 2048
SEED = 0
FPR_LIMIT = 0.3  # the MVTec AUPRO's, as rd4ad.metrics.aupro


def resample_counts(strata, *, n_resamples: int = N_RESAMPLES, seed: int = SEED) -> np.ndarray:
    """(n_resamples, N) draw counts: each resample draws every stratum's members again with
    replacement, as many as it has."""
    strata = np.asarray(strata)
    rng = np.random.default_rng(seed)
    counts = np.zeros((n_resamples, strata.size))
    for stratum in np.unique(strata):
        members = np.flatnonzero(strata == stratum)
        counts[:, members] = rng.multinomial(members.size, np.full(members.size, 1.0 / members.size), size=n_resamples)
    return counts


def percentile_interval(values, *, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The central ``confidence`` percentile interval of resampled values (NaN ones left out)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    low, high = np.quantile(values, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(low), float(high)


def image_auroc_resamples(labels, scores, counts) -> np.ndarray:
    """Image AUROC of each resample (rows of ``counts``, e.g. ``resample_counts(labels)``)."""
    labels, scores = np.asarray(labels).ravel(), np.asarray(scores, dtype=float).ravel()
    positive, negative = labels == 1, labels == 0
    if not positive.any() or not negative.any():
        raise RD4ADError("image AUROC interval: the test set needs both normal and anomalous images")
    s1, s0 = scores[positive], scores[negative]
    comparison = (s1[:, None] > s0[None, :]) + 0.5 * (s1[:, None] == s0[None, :])
    w1, w0 = counts[:, positive], counts[:, negative]
    return np.einsum("bi,ij,bj->b", w1, comparison, w0) / (w1.sum(1) * w0.sum(1))


def image_auroc_interval(
    labels, scores, *, confidence: float = CONFIDENCE, n_resamples: int = N_RESAMPLES, seed: int = SEED
) -> tuple[float, float]:
    """Stratified bootstrap interval of image AUROC (labels 0 normal, 1 anomalous)."""
    counts = resample_counts(labels, n_resamples=n_resamples, seed=seed)
    return percentile_interval(image_auroc_resamples(labels, scores, counts), confidence=confidence)


def threshold_grid(maps, *, bins: int = BINS) -> np.ndarray:
    """Ascending thresholds: every distinct score if there are at most ``bins``, else ``bins``
    scores at equal pixel quantiles (the lowest score first)."""
    distinct, counts = np.unique(np.asarray(maps).ravel(), return_counts=True)
    if distinct.size <= bins:
        return distinct
    at = np.searchsorted(np.cumsum(counts), np.linspace(0, counts.sum(), bins, endpoint=False), side="right")
    return np.unique(distinct[at])


class PixelSummaries:
    """Per test image, on one threshold grid: its normal and anomalous pixels per grid bin, and the
    summed overlap curves of its defect regions with their count (what pixel AUROC and AUPRO of any
    resample of whole images need)."""

    def __init__(self, masks, maps, *, bins: int = BINS):
        masks, maps = validate_pixel_inputs("pixel interval", masks, maps)
        n_images = masks.shape[0]
        grid = threshold_grid(maps, bins=bins)
        k = grid.size
        which = (np.searchsorted(grid, maps.ravel(), side="right") - 1).reshape(n_images, -1)
        flat = (which + (np.arange(n_images) * k)[:, None]).ravel()
        anomalous = masks.reshape(n_images, -1).ravel()
        self.anomalous = np.bincount(flat[anomalous], minlength=n_images * k).reshape(n_images, k).astype(float)
        self.normal = np.bincount(flat[~anomalous], minlength=n_images * k).reshape(n_images, k).astype(float)
        regions, n_regions = label_regions(masks)
        regions = regions.ravel()[anomalous]
        per_region = np.bincount(regions * k + which.ravel()[anomalous], minlength=(n_regions + 1) * k).reshape(
            n_regions + 1, k
        )[1:]
        at_or_above = np.cumsum(per_region[:, ::-1], axis=1)[:, ::-1]
        overlap = at_or_above / np.maximum(per_region.sum(1, keepdims=True), 1)
        image_of_region = np.zeros(n_regions + 1, dtype=np.intp)
        image_of_region[regions] = np.repeat(np.arange(n_images), masks.reshape(n_images, -1).sum(1))
        self.overlap = np.zeros((n_images, k))
        np.add.at(self.overlap, image_of_region[1:], overlap)
        self.n_regions = np.bincount(image_of_region[1:], minlength=n_images).astype(float)
        self.has_defect = masks.reshape(n_images, -1).any(1)

    def strata(self) -> np.ndarray:
        """1 for an image with defect pixels, 0 for one without: what a resample keeps apart."""
        return self.has_defect.astype(int)

    def pixel_auroc(self, counts) -> np.ndarray:
        """Pixel AUROC of each resample: Σ_k P_k (N_<k + ½ N_k) / (ΣP · ΣN) over grid bins."""
        p, q = counts @ self.anomalous, counts @ self.normal
        below = np.cumsum(q, axis=1) - q
        return (p * (below + q / 2)).sum(1) / (p.sum(1) * q.sum(1))

    def aupro(self, counts, *, fpr_limit: float = FPR_LIMIT) -> np.ndarray:
        """AUPRO (FPR ≤ ``fpr_limit``, normalised) of each resample: the PRO(FPR) curve at every grid
        threshold from the highest down, from (0, 0), integrated by trapezoids up to ``fpr_limit``."""
        normal_above = np.cumsum((counts @ self.normal)[:, ::-1], axis=1)
        fpr = normal_above / normal_above[:, -1:]
        pro = (counts @ self.overlap)[:, ::-1] / (counts @ self.n_regions)[:, None]
        zero = np.zeros((counts.shape[0], 1))
        x, y = np.hstack([zero, fpr]), np.hstack([zero, pro])
        x0, x1, y0, y1 = x[:, :-1], x[:, 1:], y[:, :-1], y[:, 1:]
        x_end = np.minimum(x1, fpr_limit)
        with np.errstate(invalid="ignore", divide="ignore"):
            y_end = np.where(x1 > fpr_limit, y0 + (y1 - y0) * (fpr_limit - x0) / (x1 - x0), y1)
        area = np.where(x0 < fpr_limit, (x_end - x0) * (y0 + y_end) / 2, 0.0)
        return area.sum(1) / fpr_limit


def pixel_intervals(
    masks, maps, *, confidence: float = CONFIDENCE, n_resamples: int = N_RESAMPLES, seed: int = SEED, bins: int = BINS
) -> dict[str, tuple[float, float]]:
    """Bootstrap intervals over test images of pixel AUROC and AUPRO: ``{"pixel_auroc": (low, high),
    "pro": (low, high)}`` (masks and maps (N, H, W); images without defect pixels are one stratum)."""
    summaries = PixelSummaries(masks, maps, bins=bins)
    counts = resample_counts(summaries.strata(), n_resamples=n_resamples, seed=seed)
    return {
        "pixel_auroc": percentile_interval(summaries.pixel_auroc(counts), confidence=confidence),
        "pro": percentile_interval(summaries.aupro(counts), confidence=confidence),
    }
