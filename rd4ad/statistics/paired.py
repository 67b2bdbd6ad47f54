"""Is variant B better than variant A? Paired comparison of two (categories × seeds) matrices.

A researcher changes one thing (a loss, a bottleneck, a schedule) and trains both variants on the
same categories and seeds. The differences are paired: Δ[c, s] = candidate[c, s] − reference[c, s],
seeds paired by their position (column) where both variants have that seed, NaN elsewhere.
Higher is better (AUROC, AUPRO: the paper's Tables 1–7).

- **Per category**: mean Δ over its paired seeds and the 95 % t-interval mean ± t(n−1) · s / √n
  (NaN below two seeds).
- **Over categories** (the table's mean): mean of the category means, with a 95 % percentile
  interval from a *hierarchical bootstrap*: each resample draws the categories again with
  replacement, then within each drawn category its paired seeds again with replacement, and takes
  the mean over categories of the seed means (``numpy.random.default_rng(seed)``: the same inputs
  give the same interval). With one seed per category only the categories vary; with one category
  only its seeds.
- **Paired test across categories**: Wilcoxon signed-rank on the category means
  (``scipy.stats.wilcoxon``, two-sided, zero differences dropped). Its smallest two-sided p-value
  with K non-zero differences is 2 / 2^K, so below 6 categories it cannot reach p < 0.05: it is then
  reported but does not take part in the verdict. All-zero differences give p = 1.
- **Verdict**: ``better`` when the bootstrap interval lies above 0 (and, with ≥ 6 categories, the
  test gives p < α), ``worse`` when it lies below 0 (same test), else ``no evidence`` — also when
  the data hold fewer than two paired values (no spread can be measured).
- **Smallest detectable Δ** (80 % power, two-sided α = 0.05, normal approximation):
  (z(1 − α/2) + z(power)) · SE = 2.80 · SE, with SE the bootstrap's standard deviation of the mean
  Δ; before any run, from a seed spread s of one variant (so s·√2 for a difference of two
  independent runs), n seeds and K categories: SE = √(2 s² / (n K) + τ² / K), τ the spread of the
  true effect between categories (0: the same effect everywhere).

Assumptions: seeds are independent draws of training noise; the categories are exchangeable units
(the interval speaks for categories like these, not for these 15 only); with few units (K < 6 and
2–3 seeds) a percentile bootstrap is narrower than the truth, which is why the detectable Δ is
reported beside every verdict.

Every function takes arrays and returns arrays or floats (scikit-learn style, keyword-only options).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from rd4ad.statistics.bootstrap import percentile_interval

CONFIDENCE = 0.95
ALPHA = 0.05
POWER = 0.8
N_RESAMPLES = 10_000
SEED = 0
MIN_TEST_CATEGORIES = 6  # the fewest non-zero differences whose signed-rank p can fall below 0.05
VERDICTS = ("better", "worse", "no evidence")


def _matrix(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[:, None] if values.ndim == 1 else values


def paired_differences(reference, candidate) -> np.ndarray:
    """Δ = candidate − reference per category (rows) and seed (columns, paired by position): NaN
    where either lacks that seed; a 1-D input is one seed per category.

    >>> paired_differences([[97.0, 98.0], [90.0, np.nan]], [[98.0, 98.5, 99.0], [91.0, 92.0, 93.0]])
    array([[1. , 0.5],
           [1. , nan]])
    """
    reference, candidate = _matrix(reference), _matrix(candidate)
    if reference.shape[0] != candidate.shape[0]:
        raise ValueError(f"reference has {reference.shape[0]} categories, candidate {candidate.shape[0]}")
    width = min(reference.shape[1], candidate.shape[1])
    return candidate[:, :width] - reference[:, :width]


def category_deltas(differences, *, confidence: float = CONFIDENCE) -> dict[str, np.ndarray]:
    """Per category (row of Δ): ``n`` paired seeds, ``mean`` Δ and the t-interval ``low``, ``high``
    (mean ± t(n−1, (1+confidence)/2) · s / √n; NaN below two seeds).

    >>> out = category_deltas([[0.5, 1.0, 1.5], [2.0, np.nan, np.nan]])
    >>> out["n"], out["mean"], np.round(out["low"], 3), np.round(out["high"], 3)
    (array([3, 1]), array([1., 2.]), array([-0.242,    nan]), array([2.242,   nan]))
    """
    differences = _matrix(differences)
    n = np.sum(~np.isnan(differences), axis=1)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # rows without seeds (NaN mean) or one seed (NaN s)
        mean = np.nanmean(differences, axis=1)
        spread = np.where(n >= 2, np.nanstd(differences, axis=1, ddof=1), np.nan)
        half = stats.t.ppf((1 + confidence) / 2, np.where(n >= 2, n - 1, np.nan)) * spread / np.sqrt(n)
    return {"n": n, "mean": mean, "low": mean - half, "high": mean + half}


def hierarchical_resamples(differences, *, n_resamples: int = N_RESAMPLES, seed: int = SEED) -> np.ndarray:
    """The mean Δ over categories of each of ``n_resamples`` hierarchical resamples: categories
    (rows with at least one paired seed) drawn with replacement, then each drawn category's paired
    seeds drawn with replacement; empty input gives NaN.

    >>> sorted(set(hierarchical_resamples([[1.0, 1.0], [3.0, np.nan]], n_resamples=50).tolist()))
    [1.0, 2.0, 3.0]
    """
    differences = _matrix(differences)
    present = ~np.isnan(differences)
    kept = present.any(axis=1)
    if not kept.any():
        return np.full(n_resamples, np.nan)
    # each category's paired values packed to the left: packed[c, :n[c]]
    order = np.argsort(~present[kept], axis=1, kind="stable")
    packed = np.take_along_axis(differences[kept], order, axis=1)
    n = present[kept].sum(axis=1)
    rng = np.random.default_rng(seed)
    categories = rng.integers(0, n.size, size=(n_resamples, n.size))
    draws = np.floor(rng.random((n_resamples, n.size, packed.shape[1])) * n[categories][..., None]).astype(int)
    values = np.take_along_axis(packed[categories], draws, axis=2)
    used = np.arange(packed.shape[1])[None, None, :] < n[categories][..., None]
    seed_means = np.where(used, values, 0.0).sum(axis=2) / n[categories]
    return seed_means.mean(axis=1)


def mean_delta(
    differences, *, confidence: float = CONFIDENCE, n_resamples: int = N_RESAMPLES, seed: int = SEED
) -> dict[str, float]:
    """Over categories: ``mean`` of the category mean Δs, the hierarchical bootstrap's percentile
    interval ``low``, ``high`` and its standard deviation ``se`` (0 when nothing varies; NaN
    without paired values).

    >>> out = mean_delta([[0.5, 1.0, 1.5], [2.0, 2.0, 2.0]], n_resamples=2000)
    >>> out["mean"], out["low"] > 0.5, out["high"] <= 2.0
    (1.5, True, True)
    """
    resampled = hierarchical_resamples(differences, n_resamples=n_resamples, seed=seed)
    low, high = percentile_interval(resampled, confidence=confidence)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no paired values: NaN, as documented
        mean = float(np.nanmean(category_deltas(differences)["mean"]))
    se = float(np.std(resampled, ddof=1)) if n_resamples > 1 and not np.isnan(mean) else np.nan
    return {"mean": mean, "low": low, "high": high, "se": se}


def signed_rank_test(category_means) -> float:
    """Two-sided p-value of the Wilcoxon signed-rank test of the category mean Δs against 0
    (NaN categories left out, zeros dropped): 1.0 when every difference is zero, NaN without any.
    Below 6 non-zero differences p cannot fall under 0.05 (its minimum is 2 / 2^K).

    >>> signed_rank_test([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), signed_rank_test([1.0, 2.0]), signed_rank_test([0.0, 0.0])
    (0.03125, 0.5, 1.0)
    """
    means = np.asarray(category_means, dtype=float)
    means = means[~np.isnan(means)]
    if means.size == 0:
        return float("nan")
    if not np.any(means != 0):
        return 1.0
    return float(stats.wilcoxon(means, zero_method="wilcox", alternative="two-sided").pvalue)


def comparison_verdict(low, high, p_value, n_categories, n_values, *, alpha: float = ALPHA) -> np.ndarray:
    """Per comparison: ``better`` (interval above 0), ``worse`` (below 0) or ``no evidence``; with
    ≥ 6 categories the signed-rank test must also give p < ``alpha``; fewer than two paired values
    (``n_values``) is always ``no evidence``.

    >>> comparison_verdict([0.2, -1.0, 0.2, -0.1, 0.5], [0.9, -0.2, 0.9, 0.4, 0.5],
    ...                    [0.03, 0.06, 0.2, 0.01, np.nan], [6, 3, 15, 6, 1], [18, 3, 45, 6, 1])
    array(['better', 'worse', 'no evidence', 'no evidence', 'no evidence'],
          dtype='<U11')
    """
    low, high, p_value = (np.asarray(a, dtype=float) for a in (low, high, p_value))
    tested = np.asarray(n_categories) >= MIN_TEST_CATEGORIES
    agrees = ~tested | (p_value < alpha)
    measured = np.asarray(n_values) >= 2
    return np.select(
        [measured & agrees & (low > 0), measured & agrees & (high < 0)], ["better", "worse"], "no evidence"
    ).astype("<U11")


def detectable_delta(standard_error, *, alpha: float = ALPHA, power: float = POWER) -> np.ndarray:
    """Smallest true Δ found with probability ``power`` by a two-sided test at ``alpha``:
    (z(1 − α/2) + z(power)) · SE (normal approximation; 2.80 · SE at the defaults).

    >>> np.round(detectable_delta([0.1, 1.0]), 3)
    array([0.28 , 2.802])
    """
    factor = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return factor * np.asarray(standard_error, dtype=float)


def planned_detectable_delta(
    seed_spread,
    *,
    n_seeds: int,
    n_categories: int,
    category_spread: float = 0.0,
    alpha: float = ALPHA,
    power: float = POWER,
) -> np.ndarray:
    """:func:`detectable_delta` before any comparison is run, from one variant's seed spread ``s``
    (the two variants' runs independent, so a difference spreads s·√2): SE = √(2 s² / (n K) + τ² / K)
    with n = ``n_seeds``, K = ``n_categories`` and τ = ``category_spread`` of the true effect.

    >>> np.round(planned_detectable_delta([0.3, 1.0], n_seeds=3, n_categories=15), 3)
    array([0.177, 0.591])
    """
    spread = np.asarray(seed_spread, dtype=float)
    se = np.sqrt(2 * spread**2 / (n_seeds * n_categories) + category_spread**2 / n_categories)
    return detectable_delta(se, alpha=alpha, power=power)


def compare_paired(
    reference,
    candidate,
    *,
    confidence: float = CONFIDENCE,
    alpha: float = ALPHA,
    power: float = POWER,
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
) -> dict:
    """The whole comparison of two (categories × seeds) matrices: ``categories`` (per-category
    n / mean / low / high, :func:`category_deltas`), and over categories ``mean``, ``low``,
    ``high``, ``se`` (:func:`mean_delta`), ``p_value`` (:func:`signed_rank_test`),
    ``n_categories``, ``n_values``, ``verdict`` and ``detectable`` (:func:`detectable_delta` of se).

    >>> out = compare_paired([[90.0, 91.0]] * 6, [[91.0, 92.5]] * 6)
    >>> out["mean"], out["verdict"], out["p_value"]
    (1.25, 'better', 0.03125)
    """
    differences = paired_differences(reference, candidate)
    per_category = category_deltas(differences, confidence=confidence)
    over = mean_delta(differences, confidence=confidence, n_resamples=n_resamples, seed=seed)
    n_categories = int(np.sum(per_category["n"] > 0))
    n_values = int(per_category["n"].sum())
    p_value = signed_rank_test(per_category["mean"])
    verdict = str(comparison_verdict(over["low"], over["high"], p_value, n_categories, n_values, alpha=alpha))
    detectable = float(detectable_delta(over["se"], alpha=alpha, power=power)) if n_values >= 2 else float("nan")
    return {
        "categories": per_category,
        **over,
        "p_value": p_value,
        "n_categories": n_categories,
        "n_values": n_values,
        "verdict": verdict,
        "detectable": detectable,
    }
