"""Is variant B better than variant A? Paired comparison of two (categories × seeds) matrices.

A researcher changes one thing (a loss, a bottleneck, a schedule) and trains both variants on the
same categories and seeds. The differences are paired: Δ[c, s] = candidate[c, s] − reference[c, s],
the two matrices laid out on the same seed numbers (columns), NaN where either lacks that seed.
Higher is better (AUROC, AUPRO: the paper's Tables 1–7).

- **Per category**: mean Δ over its paired seeds and the 95 % t-interval mean ± t(n−1) · s / √n
  (NaN below two seeds).
- **Units**: with two or more categories, the category mean Δs (seeds nested in their category:
  they only make its mean more precise); with one category, its per-seed Δs (the verdict then
  speaks for that category only).
- **Over units** (the table's mean): the mean Δ with the 95 % t-interval over units and its
  standard error SE = s_u / √K (s_u the units' spread, K units).
- **Test**: the exact sign-flip permutation test of the units (``rd4ad.statistics.signflip``);
  its p is floored at 2 / 2^m by the m non-zero units.
- **Verdict** over the family of one comparison's metrics (``rd4ad.statistics.family``, Holm):
  ``better`` / ``worse`` when the Holm-adjusted p ≤ α (the sign of the mean Δ says which), else
  ``no evidence``; a design whose units could never reach α / k (k metrics in the family) reads
  ``needs ≥ N categories`` (``needs ≥ N seeds or categories`` with one category) instead.
- **Smallest detectable Δ** (80 % power at the family's level α / k, two-sided): the t-test's,
  δ(K, α / k, power) · s_u / √K with δ the noncentral-t parameter of that power; before any run
  s_u² = 2 s² / n + τ² (s one variant's seed spread, n seeds, τ the spread of the true effect
  between categories), after it the units' sample spread. NaN (not estimable) when nothing varies
  or the design could never reach the level.

Every function takes arrays and returns arrays or floats (scikit-learn style, keyword-only options).
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
from scipy import optimize, stats

from rd4ad.statistics.family import family_level, holm_adjusted
from rd4ad.statistics.signflip import SEED, p_floor, sign_flip_p, units_needed

CONFIDENCE = 0.95
ALPHA = 0.05
POWER = 0.8


def _matrix(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[:, None] if values.ndim == 1 else values


def paired_differences(reference, candidate) -> np.ndarray:
    """Δ = candidate − reference per category (rows) and seed (columns, the same seed in the same
    column of both): NaN where either lacks that seed; a 1-D input is one seed per category.

    >>> paired_differences([[97.0, 98.0], [90.0, np.nan]], [[98.0, 98.5], [91.0, 92.0]])
    array([[1. , 0.5],
           [1. , nan]])
    """
    reference, candidate = _matrix(reference), _matrix(candidate)
    if reference.shape != candidate.shape:
        raise ValueError(f"reference is {reference.shape} (categories, seeds), candidate {candidate.shape}")
    return candidate - reference


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


def unit_deltas(differences) -> np.ndarray:
    """The units the verdict counts: the mean Δ of every category with a paired seed when there are
    two or more such categories, else the lone category's paired per-seed Δs. Leading axes of a
    (…, categories, seeds) input are a batch of matrices with the same paired cells.

    >>> unit_deltas([[1.0, 2.0], [3.0, np.nan]]), unit_deltas([[0.1, 0.2, 0.3], [np.nan] * 3])
    (array([1.5, 3. ]), array([0.1, 0.2, 0.3]))
    """
    differences = _matrix(differences)
    present = ~np.isnan(differences).reshape(-1, *differences.shape[-2:])
    kept = differences[..., present.any(axis=(0, 2)), :]
    if kept.shape[-2] == 1:
        return kept[..., 0, present.any(axis=(0, 1))]
    return np.nanmean(kept, axis=-1)


def mean_delta(units, *, confidence: float = CONFIDENCE) -> dict[str, float]:
    """Over units: ``mean`` Δ, the t-interval ``low``, ``high`` (mean ± t(K−1) · SE) and ``se``
    = s_u / √K (interval and SE NaN below two units; the mean NaN without any).

    >>> out = mean_delta([1.0, 1.2, 1.4, 1.6, 1.8, 2.0])
    >>> round(out["mean"], 3), round(out["low"], 3), round(out["high"], 3), round(out["se"], 4)
    (1.5, 1.107, 1.893, 0.1528)
    """
    units = np.asarray(units, dtype=float)
    if units.size < 2:
        mean = float(units[0]) if units.size else float("nan")
        return {"mean": mean, "low": float("nan"), "high": float("nan"), "se": float("nan")}
    se = float(np.std(units, ddof=1) / np.sqrt(units.size))
    half = float(stats.t.ppf((1 + confidence) / 2, units.size - 1)) * se
    mean = float(units.mean())
    return {"mean": mean, "low": mean - half, "high": mean + half, "se": se}


@functools.cache
def _noncentrality(n_units: int, level: float, power: float) -> float:
    """δ with P(|T| > t(K−1, 1 − level/2)) = ``power`` for T noncentral t (K−1 df, δ)."""
    df = n_units - 1
    critical = stats.t.ppf(1 - level / 2, df)

    def shortfall(delta: float) -> float:
        lower = np.nan_to_num(stats.nct.cdf(-critical, df, delta))  # scipy's NaN: a tail far below 1e-15
        return stats.nct.sf(critical, df, delta) + lower - power

    return float(optimize.brentq(shortfall, 0.0, 2 * (critical + stats.norm.ppf(power)) + 1))


def detectable_delta(
    unit_spread, *, n_units: int, family: int = 1, alpha: float = ALPHA, power: float = POWER
) -> np.ndarray:
    """Smallest true mean Δ found with probability ``power`` at the family's level α / ``family``
    (two-sided) from ``n_units`` units of spread s_u: δ · s_u / √K (δ of the noncentral t). NaN —
    not estimable — when nothing varies (s_u 0 or NaN) or K units could never reach the level.

    >>> np.round(detectable_delta([0.5, 0.0], n_units=15, family=3), 3)
    array([0.466,   nan])
    >>> detectable_delta(0.5, n_units=6, family=3)
    array(nan)
    """
    spread = np.asarray(unit_spread, dtype=float)
    level = family_level(alpha, family)
    if n_units < max(2, units_needed(level)):
        return np.full(spread.shape, np.nan)
    delta = _noncentrality(n_units, level, power) * spread / np.sqrt(n_units)
    return np.where(spread > 0, delta, np.nan)


def planned_detectable_delta(
    seed_spread,
    *,
    n_seeds: int,
    n_categories: int,
    category_spread: float = 0.0,
    family: int = 1,
    alpha: float = ALPHA,
    power: float = POWER,
) -> np.ndarray:
    """:func:`detectable_delta` before any comparison is run, from one variant's seed spread s (the
    two variants' runs independent, so one seed's Δ spreads s·√2): with K ≥ 2 categories the units
    are category means, s_u² = 2 s² / n + τ² (n = ``n_seeds``, τ = ``category_spread`` of the true
    effect); with one category the units are its n seeds, s_u = s·√2.

    >>> np.round(planned_detectable_delta([0.3, 1.0], n_seeds=3, n_categories=15, family=3), 3)
    array([0.229, 0.762])
    """
    spread = np.asarray(seed_spread, dtype=float)
    if n_categories >= 2:
        unit_spread, n_units = np.sqrt(2 * spread**2 / n_seeds + category_spread**2), n_categories
    else:
        unit_spread, n_units = np.sqrt(2) * spread, n_seeds
    return detectable_delta(unit_spread, n_units=n_units, family=family, alpha=alpha, power=power)


def compare_paired(
    reference,
    candidate,
    *,
    family: int = 1,
    confidence: float = CONFIDENCE,
    alpha: float = ALPHA,
    power: float = POWER,
    seed: int = SEED,
) -> dict:
    """One metric of a comparison of two (categories × seeds) matrices: ``categories`` (per-category
    n / mean / low / high, :func:`category_deltas`), ``n_categories``, ``n_values`` (paired values),
    ``n_units``, over units ``mean``, ``low``, ``high``, ``se`` (:func:`mean_delta`), ``p_value``
    (sign-flip, ``seed`` for its random patterns beyond 15 units), ``p_floor`` (from the non-zero
    units) and ``detectable`` (at the level of a family of ``family`` metrics). The verdict needs
    the whole family: :func:`family_verdicts`.

    >>> out = compare_paired([[90.0, 91.0]] * 6, [[91.0, 92.5]] * 6)
    >>> out["mean"], out["p_value"], out["p_floor"], out["n_units"]
    (1.25, 0.03125, 0.03125, 6)
    """
    differences = paired_differences(reference, candidate)
    per_category = category_deltas(differences, confidence=confidence)
    units = unit_deltas(differences)
    over = mean_delta(units, confidence=confidence)
    spread = float(np.std(units, ddof=1)) if units.size >= 2 else float("nan")
    return {
        "categories": per_category,
        "n_categories": int(np.sum(per_category["n"] > 0)),
        "n_values": int(per_category["n"].sum()),
        "n_units": int(units.size),
        **over,
        "p_value": float(sign_flip_p(units, seed=seed)) if units.size else float("nan"),
        "p_floor": float(p_floor(np.count_nonzero(units))),
        "detectable": float(detectable_delta(spread, n_units=units.size, family=family, alpha=alpha, power=power)),
    }


def family_verdicts(mean, p_value, n_units, n_categories, *, alpha: float = ALPHA) -> dict[str, np.ndarray]:
    """Per metric of one comparison (the family: the last axis; leading axes a batch of families):
    ``p_holm`` (Holm-adjusted p) and ``verdict``: ``better`` / ``worse`` (p_holm ≤ ``alpha``; the
    mean's sign), ``no evidence``, or ``needs ≥ N categories`` (``… seeds or categories`` for one
    category) when its ``n_units`` could never reach α / k.

    >>> out = family_verdicts([1.0, -2.0, 0.5], [0.001, 0.02, 0.2], [15, 15, 3], [15, 15, 1])
    >>> out["p_holm"].round(3).tolist(), out["verdict"].tolist()
    ([0.003, 0.04, 0.2], ['better', 'worse', 'needs ≥ 7 seeds or categories'])
    """
    mean, n_units, n_categories = (np.asarray(a) for a in (mean, n_units, n_categories))
    p_holm = holm_adjusted(p_value)
    needed = units_needed(family_level(alpha, mean.shape[-1]))
    needs = np.where(n_categories == 1, f"needs ≥ {needed} seeds or categories", f"needs ≥ {needed} categories")
    significant = p_holm <= alpha
    verdict = np.select(
        [n_units < needed, significant & (mean > 0), significant & (mean < 0)],
        [needs, "better", "worse"],
        "no evidence",
    )
    return {"p_holm": p_holm, "verdict": verdict.astype(str)}
