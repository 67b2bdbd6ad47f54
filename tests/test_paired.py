"""Paired comparisons (rd4ad/statistics/paired.py, signflip.py, family.py) with hand-computed
numbers: a candidate better by construction, noise, zeros, one category, Holm over a family, and
the detectable Δ (one formula before and after the run)."""

from __future__ import annotations

import doctest
import itertools
import math

import numpy as np
import pytest
from scipy import stats

from rd4ad.statistics import family, paired, signflip
from rd4ad.statistics.family import holm_adjusted
from rd4ad.statistics.paired import (
    compare_paired,
    detectable_delta,
    family_verdicts,
    paired_differences,
    planned_detectable_delta,
)
from rd4ad.statistics.signflip import EXACT_UNITS, p_floor, sign_flip_p, units_needed

T_2 = 4.302652729749464  # t(2, 0.975)
REFERENCE = 90.0 + np.arange(15)[:, None] + 0.1 * np.arange(3)[None, :]  # 15 categories × 3 seeds


def verdicts_of(*outs) -> list[str]:
    """The verdicts of compared metrics taken as one family."""
    columns = ("mean", "p_value", "n_units", "n_categories")
    return family_verdicts(*([o[c] for o in outs] for c in columns))["verdict"].tolist()


@pytest.mark.parametrize("module", [paired, signflip, family])
def test_docstring_examples_run(module):
    assert doctest.testmod(module).failed == 0


def test_seeds_pair_by_column():
    delta = paired_differences([[1.0, 2.0, np.nan]], [[2.0, np.nan, 5.0]])
    assert delta[0, 0] == 1.0 and np.isnan(delta[0, 1:]).all()
    with pytest.raises(ValueError, match=r"\(2, 1\)"):
        paired_differences([[1.0], [2.0]], [[1.0]])


def brute_force_p(units) -> float:
    """Two-sided sign-flip p by a plain loop over every sign pattern."""
    observed = abs(sum(units))
    hits = sum(
        abs(sum(s * u for s, u in zip(signs, units))) >= observed - 1e-9
        for signs in itertools.product((1, -1), repeat=len(units))
    )
    return hits / 2 ** len(units)


def test_the_sign_flip_p_is_the_exact_one_zeros_and_ties_included():
    rng = np.random.default_rng(5)
    for units in [rng.normal(0.3, 1, 7), np.round(rng.normal(0.5, 1, 9), 0), [1.0, 1.0, -1.0, 0.0, 2.0, 0.0]]:
        assert sign_flip_p(units) == pytest.approx(brute_force_p(list(units)))
    # zeros contribute nothing whatever their sign: the p of the non-zero units alone, floor 2 / 2^m
    assert sign_flip_p([1.0, 2.0, 3.0, 0.0, 0.0]) == sign_flip_p([1.0, 2.0, 3.0]) == 0.25 == p_floor(3)
    assert sign_flip_p([0.0, 0.0]) == 1.0


def test_beyond_fifteen_units_random_patterns_estimate_the_exact_p():
    units = np.random.default_rng(2).normal(0.4, 1.0, EXACT_UNITS + 2)
    patterns = 1 - 2 * ((np.arange(2**17)[:, None] >> np.arange(17)) & 1)
    exact = float(np.mean(np.abs(patterns @ np.abs(units)) >= abs(units.sum()) - 1e-9))
    estimate = float(sign_flip_p(units, seed=3))
    assert estimate == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / signflip.DRAWS) + 1e-5)
    assert sign_flip_p(units, seed=3) == sign_flip_p(units, seed=3) != sign_flip_p(units, seed=4)


def test_fifteen_categories_ten_unchanged_five_better_is_no_evidence():
    delta = np.zeros((15, 3))
    delta[10:] = 1.0  # +1 on every seed of five categories, exactly 0 in ten (AUROC 100 for both)
    out = compare_paired(REFERENCE, REFERENCE + delta)
    assert (out["p_value"], out["p_floor"]) == (0.0625, 0.0625)  # 2 / 2^5: five non-zero differences
    assert verdicts_of(out) == ["no evidence"]


def test_an_unchanged_category_changes_nothing():
    delta = np.ones((7, 3)) * np.arange(1, 8)[:, None]
    seven = compare_paired(REFERENCE[:7], REFERENCE[:7] + delta)
    delta[6] = 0.0  # the seventh category unchanged: six non-zero differences
    six = compare_paired(REFERENCE[:7], REFERENCE[:7] + delta)
    assert (seven["p_value"], six["p_value"], six["p_floor"]) == (2 / 2**7, 2 / 2**6, 2 / 2**6)
    assert verdicts_of(six) == verdicts_of(seven) == ["better"]


def test_a_candidate_better_by_construction():
    # Δ per category c: [0.5, 1.0, 1.5] + 0.1 c → category means 1.0 … 2.4, mean 1.7
    delta = np.array([0.5, 1.0, 1.5])[None, :] + 0.1 * np.arange(15)[:, None]
    out = compare_paired(REFERENCE, REFERENCE + delta, family=3)
    cats = out["categories"]
    assert list(cats["n"]) == [3] * 15
    np.testing.assert_allclose(cats["low"], cats["mean"] - T_2 * 0.5 / math.sqrt(3))
    assert out["mean"] == pytest.approx(1.7) and out["p_value"] == 2 / 2**15
    se = np.std(cats["mean"], ddof=1) / math.sqrt(15)
    assert out["se"] == pytest.approx(se)
    assert (out["low"], out["high"]) == pytest.approx(
        (1.7 - stats.t.ppf(0.975, 14) * se, 1.7 + stats.t.ppf(0.975, 14) * se)
    )
    flipped = compare_paired(REFERENCE + delta, REFERENCE, family=3)
    assert verdicts_of(out, flipped, flipped) == ["better", "worse", "worse"]


def test_noise_gives_no_evidence():
    means = np.array([1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, -3.0])
    delta = means[:, None] + np.array([-0.3, 0.0, 0.3])[None, :]
    out = compare_paired(REFERENCE[:8], REFERENCE[:8] + delta)
    assert out["mean"] == pytest.approx(0.0, abs=1e-12) and out["p_value"] == 1.0
    assert out["low"] < 0 < out["high"] and verdicts_of(out) == ["no evidence"]


def test_too_small_designs_say_what_they_need():
    delta = np.array([[1.0, 1.2, 0.8]] * 6)
    six = compare_paired(REFERENCE[:6], REFERENCE[:6] + delta, family=3)
    assert six["p_value"] == 2 / 2**6 and six["low"] > 0  # the interval excludes 0, yet 0.031 > 0.05 / 3
    assert verdicts_of(six, six, six) == ["needs ≥ 7 categories"] * 3
    assert math.isnan(six["detectable"])
    alone = compare_paired(REFERENCE[:6], REFERENCE[:6] + delta)  # a family of one: 0.031 ≤ 0.05
    assert verdicts_of(alone) == ["better"]
    three = compare_paired(REFERENCE[:3], REFERENCE[:3] + delta[:3])
    assert verdicts_of(three) == ["needs ≥ 6 categories"]


def test_one_category_permutes_its_seeds():
    out = compare_paired([[90.0, 90.0, 90.0]], [[90.1, 90.2, 90.3]])  # its t-interval [−0.05, +0.45]
    assert (out["n_units"], out["p_value"]) == (3, 0.25)
    assert out["low"] == pytest.approx(0.2 - T_2 * 0.1 / math.sqrt(3))
    assert verdicts_of(out) == ["needs ≥ 6 seeds or categories"]
    eight = compare_paired([[90.0] * 8], [[90.0 + 0.1 * s for s in range(1, 9)]])
    assert (eight["p_value"], verdicts_of(eight)) == (2 / 2**8, ["better"])
    lone = compare_paired([90.0], [95.0])  # one category, one seed: nothing can vary
    assert verdicts_of(lone) == ["needs ≥ 6 seeds or categories"] and math.isnan(lone["detectable"])


def test_holm_by_hand():
    np.testing.assert_allclose(holm_adjusted([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(holm_adjusted([0.04, 0.001, 0.5]), [0.08, 0.003, 0.5])
    assert units_needed(0.05) == 6 and units_needed(0.05 / 3) == 7 and units_needed(0.05 / 5) == 8


def test_nothing_varies_is_not_estimable_never_zero():
    out = compare_paired(REFERENCE, REFERENCE + 0.5)  # every category +0.5 on every seed
    assert out["se"] == 0.0 and math.isnan(out["detectable"])
    assert verdicts_of(out) == ["better"]  # 2 / 2^15: every category moved the same way


def test_the_detectable_delta_has_its_power_and_one_formula():
    # the noncentral t at the family's level 0.05 / 3 with 14 df has 80 % power at the reported Δ / SE
    found = detectable_delta(1.0, n_units=15, family=3)
    level, t = 0.05 / 3, stats.t.ppf(1 - 0.05 / 6, 14)
    power = stats.nct.sf(t, 14, found * math.sqrt(15)) + stats.nct.cdf(-t, 14, found * math.sqrt(15))
    assert power == pytest.approx(0.8, abs=1e-6) and level < 0.05
    # before the run (s = 0.5, 3 seeds, τ = 1) and after it (units of that spread): the same figure
    planned = planned_detectable_delta(0.5, n_seeds=3, n_categories=15, category_spread=1.0, family=3)
    assert planned == detectable_delta(math.sqrt(2 * 0.25 / 3 + 1.0), n_units=15, family=3)
    assert planned_detectable_delta(0.5, n_seeds=8, n_categories=1) == detectable_delta(0.5 * math.sqrt(2), n_units=8)
    assert math.isnan(planned_detectable_delta(0.5, n_seeds=3, n_categories=6, family=3))
