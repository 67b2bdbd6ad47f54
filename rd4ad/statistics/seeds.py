"""Seed statistics of a measured cell (percentage points), and its verdict against one published run.

The paper's numbers are one training run each (seed 111), printed to 0.1. With n ≥ 2 seeds of
ours, mean m and sample standard deviation s, the interval that one more training run of ours
falls in with 95 % probability — assuming runs are independent draws from a normal distribution —
is the prediction interval

    m ± t(n − 1, 0.975) · max(s, s₀) · √(1 + 1/n),

widened by ±0.05 for the rounding of the printed value. s₀ = 0.1 / √12 ≈ 0.029 pp is the floor of
the spread: the standard deviation of a value known to the printed 0.1 pp. Seeds that agree more
closely than that (identical seeds, seeds clipped at 100) say that the spread is small, not that
it is 0: without the floor two seeds of 98.5 would call a published 98.7 "below". A published value inside it is
*consistent* with our runs; outside it our runs are *below* or *above* it. One seed gives no
spread: the verdict is *undetermined* (the fixed tolerance decides the status alone).

Every function takes values as a (rows × seeds) array, NaN where a seed is missing, and returns
one value per row (scikit-learn style: arrays in, arrays out, keyword-only options).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
ROUNDING_PP = 0.05  # half the last printed digit of a published percentage
SPREAD_FLOOR_PP = 2 * ROUNDING_PP / np.sqrt(12)  # the sd of a value known to the printed digit
RESOLVE_PP = 0.5  # the difference the seeds-needed advice is sized to resolve
MAX_SEEDS = 1000
VERDICTS = ("consistent", "below", "above", "undetermined")


def _rows(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[None, :] if values.ndim == 1 else values


def seed_count(values) -> np.ndarray:
    """Seeds present per row."""
    return np.sum(~np.isnan(_rows(values)), axis=1)


def seed_spread(values) -> np.ndarray:
    """Sample standard deviation over seeds per row (ddof 1, NaN ignored; NaN below two seeds).

    >>> seed_spread([[97.0, 98.0, 99.0]])
    array([1.])
    """
    values = _rows(values)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows of fewer than two seeds: NaN, as documented
        spread = np.nanstd(values, axis=1, ddof=1)
    return np.where(seed_count(values) >= 2, spread, np.nan)


def prediction_interval(
    values, *, confidence: float = CONFIDENCE, rounding: float = ROUNDING_PP, floor: float = SPREAD_FLOOR_PP
) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) per row: mean ± t(n−1, (1+confidence)/2) · max(s, ``floor``) · √(1 + 1/n)
    ± ``rounding``; NaN below two seeds.

    >>> low, high = prediction_interval([[97.0, 98.0, 99.0], [98.5, 98.5, np.nan]])
    >>> np.round(low, 3), np.round(high, 3)
    (array([92.982, 98.001]), array([103.018,  98.999]))
    """
    values = _rows(values)
    n = seed_count(values).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a row without seeds: NaN
        mean = np.nanmean(values, axis=1)
    spread = np.maximum(seed_spread(values), floor)  # NaN stays NaN
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf((1 + confidence) / 2, np.where(n >= 2, n - 1, np.nan))
        half = t * spread * np.sqrt(1 + 1 / n) + rounding
    return mean - half, mean + half


def verdict(published, low, high, n_seeds) -> np.ndarray:
    """Per cell: ``consistent`` (``low`` ≤ published ≤ ``high``), ``below`` (the whole interval of
    ours lies below the published value), ``above``, ``undetermined`` (one seed); "" where there is
    no published value or no measurement.

    >>> verdict([98.5, 98.5, 98.5, 98.5], [97.0, 96.0, 98.6, np.nan], [99.0, 98.0, 99.5, np.nan], [3, 3, 3, 1])
    array(['consistent', 'below', 'above', 'undetermined'], dtype='<U12')
    """
    published, low, high = (np.asarray(a, dtype=float) for a in (published, low, high))
    n_seeds = np.asarray(n_seeds)
    return np.select(
        [np.isnan(published) | (n_seeds == 0), n_seeds < 2, high < published, low > published],
        ["", "undetermined", "below", "above"],
        "consistent",
    ).astype("<U12")


def seeds_needed(
    spread, *, resolve: float = RESOLVE_PP, confidence: float = CONFIDENCE, max_seeds: int = MAX_SEEDS
) -> np.ndarray:
    """Per spread ``s``: the fewest seeds n ≥ 2 whose mean has a 95 % confidence half-width
    t(n−1, (1+confidence)/2) · s / √n of at most ``resolve`` (NaN for an unknown spread; ``max_seeds``
    + 1 when even ``max_seeds`` would not do).

    >>> seeds_needed([0.2, 0.8, np.nan])
    array([ 3., 13., nan])
    """
    spread = np.atleast_1d(np.asarray(spread, dtype=float))
    n = np.arange(2, max_seeds + 1, dtype=float)
    half = stats.t.ppf((1 + confidence) / 2, n - 1)[None, :] * spread[:, None] / np.sqrt(n)[None, :]
    enough = half <= resolve
    first = np.where(enough.any(axis=1), n[np.argmax(enough, axis=1)], max_seeds + 1)
    return np.where(np.isnan(spread), np.nan, first)


def single_run_floor(spread, *, confidence: float = CONFIDENCE) -> np.ndarray:
    """Per spread ``s``: the half-width z · s that the prediction interval keeps however many seeds
    we add (one published run's own seed noise): a gap smaller than this can never be called real.

    >>> np.round(single_run_floor([0.5]), 3)
    array([0.98])
    """
    return stats.norm.ppf((1 + confidence) / 2) * np.asarray(spread, dtype=float)
