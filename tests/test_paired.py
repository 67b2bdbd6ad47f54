"""Paired comparisons (rd4ad/statistics/paired.py) with hand-computed numbers: a candidate better
by construction, one that is noise, one seed per category, and the detectable Δ."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

from rd4ad.statistics import paired
from rd4ad.statistics.paired import (
    compare_paired,
    hierarchical_resamples,
    paired_differences,
    planned_detectable_delta,
    signed_rank_test,
)

T_2 = 4.302652729749464  # t(2, 0.975)
Z_SUM = 1.959964 + 0.841621  # z(0.975) + z(0.8)
REFERENCE = 90.0 + np.arange(6)[:, None] + 0.1 * np.arange(3)[None, :]  # 6 categories × 3 seeds


def test_docstring_examples_run():
    assert doctest.testmod(paired).failed == 0


def test_seeds_pair_by_position_where_both_have_them():
    delta = paired_differences([[1.0, 2.0, np.nan]], [[2.0, np.nan, 5.0, 9.0]])
    assert delta.shape == (1, 3) and delta[0, 0] == 1.0 and np.isnan(delta[0, 1:]).all()
    with pytest.raises(ValueError, match="2 categories"):
        paired_differences([[1.0], [2.0]], [[1.0]])


def test_a_candidate_better_by_construction():
    # Δ per category c: [0.5, 1.0, 1.5] + 0.2 c → category means 1.0 … 2.0, mean 1.5
    delta = np.array([0.5, 1.0, 1.5])[None, :] + 0.2 * np.arange(6)[:, None]
    out = compare_paired(REFERENCE, REFERENCE + delta)
    cats = out["categories"]
    assert list(cats["n"]) == [3] * 6
    np.testing.assert_allclose(cats["mean"], [1.0, 1.2, 1.4, 1.6, 1.8, 2.0])
    half = T_2 * 0.5 / math.sqrt(3)  # s = 0.5 over the 3 seeds: 1.2421
    np.testing.assert_allclose(cats["low"], cats["mean"] - half)
    np.testing.assert_allclose(cats["high"][0], 2.2421, atol=1e-4)
    assert out["mean"] == pytest.approx(1.5)
    assert out["p_value"] == pytest.approx(2 / 2**6)  # all six positive: 0.03125
    assert 0.5 <= out["low"] < 1.5 < out["high"] <= 2.5
    # bootstrap variance: (population variance of category means + mean within-category
    # population variance / n) / K = (0.7/6 + (0.5/3)/3) / 6 = 0.028704 → SE 0.16942
    assert out["se"] == pytest.approx(math.sqrt((0.7 / 6 + 0.5 / 9) / 6), rel=0.03)
    assert out["detectable"] == pytest.approx(Z_SUM * 0.16942, rel=0.03)  # 0.475 pp
    assert (out["verdict"], out["n_categories"], out["n_values"]) == ("better", 6, 18)
    flipped = compare_paired(REFERENCE + delta, REFERENCE)
    assert flipped["verdict"] == "worse" and flipped["mean"] == pytest.approx(-1.5)


def test_noise_gives_no_evidence():
    # category means +1, −1, +2, −2, +0.5, −0.5 (seed spread ±0.3): mean 0, signed ranks 10.5 each way
    means = np.array([1.0, -1.0, 2.0, -2.0, 0.5, -0.5])
    delta = means[:, None] + np.array([-0.3, 0.0, 0.3])[None, :]
    out = compare_paired(REFERENCE, REFERENCE + delta)
    assert out["mean"] == pytest.approx(0.0, abs=1e-12)
    assert out["p_value"] == pytest.approx(1.0)
    assert out["low"] < 0 < out["high"]
    assert out["verdict"] == "no evidence"
    # SE² = (population variance of the means 10.5/6 + within 0.06/3) / 6 → SE 0.5431
    assert out["se"] == pytest.approx(math.sqrt((10.5 / 6 + 0.06 / 3) / 6), rel=0.03)
    assert out["detectable"] == pytest.approx(Z_SUM * 0.5431, rel=0.03)  # 1.52 pp: blind below that


def test_a_single_seed_resamples_categories_only():
    reference = 90.0 + np.arange(6)
    out = compare_paired(reference, reference + np.arange(1, 7))  # Δ 1 … 6
    assert np.isnan(out["categories"]["low"]).all()
    assert out["mean"] == pytest.approx(3.5)
    assert out["p_value"] == pytest.approx(0.03125)
    assert out["se"] == pytest.approx(math.sqrt((35 / 12) / 6), rel=0.03)  # 0.6972
    assert out["low"] >= 1.0 and out["verdict"] == "better"
    lone = compare_paired([90.0], [95.0])  # one category, one seed: nothing can vary
    assert (lone["verdict"], lone["low"], lone["high"]) == ("no evidence", 5.0, 5.0)
    assert np.isnan(lone["detectable"])


def test_fewer_than_six_categories_rest_on_the_interval():
    delta = np.array([[1.0, 1.2, 0.8]] * 3)
    out = compare_paired(REFERENCE[:3], REFERENCE[:3] + delta)
    assert out["p_value"] == pytest.approx(0.25)  # 2 / 2³: the test cannot reach 0.05
    assert out["verdict"] == "better"


def test_the_bootstrap_is_deterministic_and_seeded():
    delta = np.random.default_rng(3).normal(0.2, 1.0, (15, 3))
    assert np.array_equal(hierarchical_resamples(delta, seed=7), hierarchical_resamples(delta, seed=7))
    assert not np.array_equal(hierarchical_resamples(delta, seed=7), hierarchical_resamples(delta, seed=8))
    assert np.isnan(hierarchical_resamples(np.full((2, 2), np.nan), n_resamples=3)).all()


def test_signed_rank_edge_cases():
    assert signed_rank_test([0.0, 0.0, 0.0]) == 1.0
    assert math.isnan(signed_rank_test([np.nan]))
    assert signed_rank_test([1.0, 2.0, 3.0, 4.0, 5.0]) == pytest.approx(0.0625)


def test_planned_detectable_delta_by_hand():
    # s = 0.5 pp, 3 seeds × 15 categories: 2.8016 · √(2 · 0.25 / 45) = 0.2953
    assert planned_detectable_delta(0.5, n_seeds=3, n_categories=15) == pytest.approx(0.2953, abs=1e-3)
    # with a between-category effect spread τ = 1: 2.8016 · √(0.5/45 + 1/15) = 0.7813
    assert planned_detectable_delta(0.5, n_seeds=3, n_categories=15, category_spread=1.0) == pytest.approx(
        0.7813, abs=1e-3
    )
