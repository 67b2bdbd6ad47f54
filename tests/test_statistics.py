"""Seed statistics and test-set bootstrap intervals (rd4ad/statistics/): hand-computed numbers,
the bootstrap equal to a direct computation on resampled test sets, identical on re-run."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from rd4ad.metrics import aupro, pixel_auroc
from rd4ad.statistics import bootstrap, seeds
from rd4ad.statistics.bootstrap import (
    PixelSummaries,
    image_auroc_interval,
    image_auroc_resamples,
    pixel_intervals,
    resample_counts,
)
from rd4ad.statistics.seeds import (
    SPREAD_FLOOR_PP,
    prediction_interval,
    seed_spread,
    seeds_needed,
    single_run_floor,
    verdict,
)

T_2 = 4.302652729749464  # t(2, 0.975)
T_1 = 12.706204736174704  # t(1, 0.975)


@pytest.mark.parametrize("module", [seeds, bootstrap])
def test_docstring_examples_run(module):
    assert doctest.testmod(module).failed == 0


def test_prediction_interval_by_hand():
    values = np.array([[97.0, 98.0, 99.0], [98.0, 98.0, np.nan], [96.0, np.nan, np.nan]])
    low, high = prediction_interval(values)
    half = T_2 * 1.0 * math.sqrt(1 + 1 / 3) + 0.05
    assert (low[0], high[0]) == (pytest.approx(98.0 - half), pytest.approx(98.0 + half))
    floor = T_1 * (0.1 / math.sqrt(12)) * math.sqrt(1 + 1 / 2) + 0.05  # no spread: its floor 0.029 pp
    assert SPREAD_FLOOR_PP == pytest.approx(0.1 / math.sqrt(12))
    assert (low[1], high[1]) == (pytest.approx(98.0 - floor), pytest.approx(98.0 + floor))  # 97.50, 98.50
    assert np.isnan(low[2]) and np.isnan(high[2])
    assert list(seed_spread(values)[:2]) == [1.0, 0.0]
    low2, _ = prediction_interval(np.array([[98.0, 100.0]]), rounding=0.0)
    assert low2[0] == pytest.approx(99.0 - T_1 * math.sqrt(2) * math.sqrt(1.5))


def test_verdicts_by_hand():
    published = [98.0, 98.5, 97.0, 98.0, np.nan, 98.0]
    low = [97.0, 97.0, 97.5, np.nan, 90.0, 98.0]
    high = [99.0, 98.4, 99.0, np.nan, 99.0, 98.0]
    n = [3, 3, 3, 1, 3, 0]
    assert list(verdict(published, low, high, n)) == ["consistent", "below", "above", "undetermined", "", ""]


def test_seeds_needed_and_the_single_run_floor_by_hand():
    # s = 0.8: t(11)·0.8/√12 = 0.508 > 0.5, t(12)·0.8/√13 = 0.483 ≤ 0.5
    assert list(seeds_needed([0.8, 0.0, 5.0], max_seeds=100)[:2]) == [13, 2]
    assert seeds_needed([5.0], max_seeds=100)[0] == 101
    assert single_run_floor([0.5])[0] == pytest.approx(1.959964 * 0.5, rel=1e-6)


def _small_pixel_set():
    rng = np.random.default_rng(1)
    masks = np.zeros((12, 16, 16), np.uint8)
    for i in range(6):
        masks[i, 3 + i % 4 : 8 + i % 3, 2 + i : 7 + i] = 1
        if i % 2:
            masks[i, 12:14, 12:15] = 1  # a second region in some images
    maps = np.round(rng.random(masks.shape) + masks * 0.4, 2).astype(np.float32)  # ties, < BINS distinct scores
    return masks, maps


def test_pixel_bootstrap_equals_the_metrics_on_the_resampled_images():
    masks, maps = _small_pixel_set()
    summaries = PixelSummaries(masks, maps)
    counts = resample_counts(summaries.strata(), n_resamples=25, seed=3)
    fast_auroc, fast_pro = summaries.pixel_auroc(counts), summaries.aupro(counts)
    for b in range(len(counts)):
        images = np.repeat(np.arange(len(masks)), counts[b].astype(int))
        assert fast_auroc[b] == pytest.approx(pixel_auroc(masks[images], maps[images]), abs=1e-12)
        assert fast_pro[b] == pytest.approx(aupro(masks[images], maps[images]), abs=1e-12)
    assert counts[:, :6].sum(1).tolist() == [6] * 25  # defect images drawn among themselves


def test_image_bootstrap_equals_sklearn_on_the_resampled_images():
    rng = np.random.default_rng(2)
    labels = np.array([0] * 7 + [1] * 9)
    scores = np.round(rng.random(16) + labels * 0.3, 1)
    counts = resample_counts(labels, n_resamples=30, seed=2)
    fast = image_auroc_resamples(labels, scores, counts)
    for b in range(len(counts)):
        images = np.repeat(np.arange(16), counts[b].astype(int))
        assert fast[b] == pytest.approx(roc_auc_score(labels[images], scores[images]), abs=1e-12)


def test_intervals_are_identical_on_rerun_and_move_with_the_seed():
    masks, maps = _small_pixel_set()
    first, again = pixel_intervals(masks, maps, n_resamples=200), pixel_intervals(masks, maps, n_resamples=200)
    assert first == again
    assert first != pixel_intervals(masks, maps, n_resamples=200, seed=1)
    for low, high in first.values():
        assert 0 <= low < high <= 1
    labels = np.array([0] * 7 + [1] * 9)
    scores = np.linspace(0, 1, 16)
    assert image_auroc_interval(labels, scores) == image_auroc_interval(labels, scores) == (1.0, 1.0)


def test_quantile_grid_stays_close_to_the_exact_metric():
    rng = np.random.default_rng(4)
    masks, _ = _small_pixel_set()
    maps = (rng.random(masks.shape) + masks * 0.4).astype(np.float32)  # all scores distinct: 3072 > 256 bins
    summaries = PixelSummaries(masks, maps, bins=256)
    whole = np.ones((1, len(masks)))
    assert summaries.pixel_auroc(whole)[0] == pytest.approx(pixel_auroc(masks, maps), abs=5e-4)
    assert summaries.aupro(whole)[0] == pytest.approx(aupro(masks, maps), abs=5e-4)
