"""The paired sign-flip permutation test of the comparisons' verdicts (docs/comparisons.md).

Under the null hypothesis each unit's Δ (a category's mean Δ over its seeds; a lone category's
per-seed Δs) is symmetric about 0, so every pattern of signs is equally likely. The two-sided
p-value is the share of the 2^K sign patterns whose |Σ ± |Δ|| reaches the observed |Σ Δ|,
enumerated exactly up to ``EXACT_UNITS`` units and estimated from ``DRAWS`` seeded random
patterns beyond (p = (1 + hits) / (1 + draws)). A zero Δ adds nothing to any sum whatever its
sign, so zeros neither help nor hurt: with m non-zero units the smallest attainable p is
2 / 2^m (1 without any). Sums equal to the observed one up to floating-point error count as
reaching it (ties are counted against the candidate). No normal approximation is used:
``scipy.stats.wilcoxon``'s automatic method switches to one with zeros or ties.
"""

from __future__ import annotations

import math

import numpy as np

EXACT_UNITS = 15  # 2^15 sign patterns enumerated
DRAWS = 100_000  # random sign patterns beyond EXACT_UNITS units
SEED = 0
TIE = 1e-9  # relative tolerance of a sum that equals the observed one
CHUNK = 1 << 22  # sums held in memory at once


def sign_patterns(n_units: int, *, draws: int = DRAWS, seed: int = SEED) -> np.ndarray:
    """(patterns, n_units) signs ±1: all 2^n of them up to ``EXACT_UNITS`` units, else ``draws``
    random ones (``numpy.random.default_rng(seed)``)."""
    if n_units <= EXACT_UNITS:
        bits = (np.arange(2**n_units)[:, None] >> np.arange(n_units)[None, :]) & 1
    else:
        bits = np.random.default_rng(seed).integers(0, 2, size=(draws, n_units))
    return (1 - 2 * bits).astype(float)


def sign_flip_p(units, *, draws: int = DRAWS, seed: int = SEED) -> np.ndarray:
    """Two-sided sign-flip p-value of each row of ``units`` (…, K; no NaN): 1 when every Δ is 0.

    >>> sign_flip_p([[1.0, 2.0, 3.0], [1.0, -1.0, 0.0], [0.0, 0.0, 0.0]])
    array([0.25, 1.  , 1.  ])
    """
    units = np.asarray(units, dtype=float)
    rows = units.reshape(-1, units.shape[-1])
    patterns = sign_patterns(rows.shape[1], draws=draws, seed=seed)
    exact = rows.shape[1] <= EXACT_UNITS
    hits = np.empty(len(rows))
    step = max(1, CHUNK // len(patterns))
    for start in range(0, len(rows), step):
        chunk = rows[start : start + step]
        observed = np.abs(chunk.sum(axis=1))
        reach = observed - TIE * np.abs(chunk).sum(axis=1)
        hits[start : start + step] = (np.abs(np.abs(chunk) @ patterns.T) >= reach[:, None]).sum(axis=1)
    p = hits / len(patterns) if exact else (1 + hits) / (1 + len(patterns))
    return p.reshape(units.shape[:-1])


def p_floor(n_nonzero) -> np.ndarray:
    """The smallest two-sided p the test can give with ``n_nonzero`` non-zero units: 2 / 2^m, 1 for none.

    >>> p_floor([0, 1, 5, 6])
    array([1.     , 1.     , 0.0625 , 0.03125])
    """
    return np.minimum(1.0, 2.0 ** (1 - np.asarray(n_nonzero, dtype=float)))


def units_needed(level: float) -> int:
    """The fewest units whose p can reach ``level`` (2 / 2^m ≤ level): 6 at 0.05, 7 at 0.05 / 3.

    >>> units_needed(0.05), units_needed(0.05 / 3), units_needed(0.0625)
    (6, 7, 5)
    """
    return max(1, math.ceil(1 - math.log2(level) - 1e-12))
