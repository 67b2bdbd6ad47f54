"""Verdicts on a results tree with known numbers (tests/results_fixtures.py, seeds 111 and 112):
hand-computed intervals give the exact verdicts, table means included; the summary counts both
judgements and gives the seeds advice; the exports carry n, s, the bounds and the verdict."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from results_fixtures import build_tree

from rd4ad.planning.plan import Plan
from rd4ad.published import load_published
from rd4ad.report.aggregate import build_cells, is_compared, verdict_summary
from rd4ad.report.exports import TIDY_COLUMNS, seeds_line, summary_markdown
from rd4ad.results.tree import collect_complexity, collect_intervals, collect_runs

T_1 = 12.706204736174704  # t(1, 0.975): two seeds
HALF = math.sqrt(1 + 1 / 2) * T_1  # × s, then + 0.05 for the rounding
NO_SPREAD = HALF * 0.1 / math.sqrt(12) + 0.05  # identical seeds: the spread's floor, 0.4993 pp


@pytest.fixture(scope="module")
def cells(tmp_path_factory):
    plan_path, results = build_tree(tmp_path_factory.mktemp("tree"), artifacts=False)
    plan = Plan.read(plan_path)
    built = build_cells(
        plan, collect_runs(results), collect_complexity(results), load_published(), collect_intervals(results)
    )
    return built.set_index(["table", "setting", "dataset", "metric", "category"]).sort_index()


def test_a_spread_cell_is_consistent_with_its_interval_by_hand(cells):
    carpet = cells.loc[("T1", "256", "mvtec", "image_auroc", "carpet")]  # seeds 99, 97; published 98.9
    half = HALF * math.sqrt(2) + 0.05
    assert (carpet["pi_low"], carpet["pi_high"]) == (pytest.approx(98 - half), pytest.approx(98 + half))
    assert (carpet["status"], carpet["verdict"]) == ("within", "consistent")


@pytest.mark.parametrize(
    "metric, category, status, expected",
    [
        ("pixel_auroc", "bottle", "within", "consistent"),  # 98.5 twice (interval ±0.50) vs 98.7
        ("pro_public", "bottle", "within", "above"),  # 98.0 twice vs 96.6
        ("pro", "bottle", "within", "below"),  # 96.0 twice vs 96.6
        ("pixel_auroc", "carpet", "within", "below"),  # 98.0 twice vs 98.9
    ],
)
def test_identical_seeds_keep_the_spreads_floor(cells, metric, category, status, expected):
    cell = cells.loc[("T2", "256", "mvtec", metric, category)]
    assert cell["std"] == 0.0 and cell["pi_high"] - cell["pi_low"] == pytest.approx(2 * NO_SPREAD)
    assert (cell["status"], cell["verdict"]) == (status, expected)


def test_a_table_mean_takes_its_interval_over_per_seed_means(cells):
    mean = cells.loc[("T1", "256", "mvtec", "image_auroc", "mean")]  # per seed (99+100)/2, (97+100)/2
    half = HALF * math.sqrt(0.5) + 0.05
    assert (mean["mean"], mean["std"]) == (pytest.approx(99.0), pytest.approx(math.sqrt(0.5)))
    assert (mean["pi_low"], mean["pi_high"]) == (pytest.approx(99 - half), pytest.approx(99 + half))
    assert mean["verdict"] == "consistent"
    pixel = cells.loc[("T2", "256", "mvtec", "pixel_auroc", "mean")]  # 98.25 twice vs 97.8: the floor holds it
    bounds = (pytest.approx(98.25 - NO_SPREAD), pytest.approx(98.25 + NO_SPREAD), "consistent")
    assert (pixel["pi_low"], pixel["pi_high"], pixel["verdict"]) == bounds


def test_one_seed_is_undetermined_and_uncompared_cells_have_no_verdict(cells):
    mnist = cells.loc[("T4", "default", "mnist", "image_auroc", "mean")]
    assert (mnist["n_seeds"], mnist["verdict"]) == (1, "undetermined") and np.isnan(mnist["pi_low"])
    assert cells.loc[("T1", "256", "mvtec", "image_auroc", "grid"), "verdict"] == ""  # missing
    assert cells.loc[("T3", "wide_resnet50_2", "mvtec", "infer_s", "mean"), "verdict"] == ""  # measured


def test_summary_counts_both_and_advises_seeds(cells):
    flat = cells.reset_index()
    verdicts = verdict_summary(flat)
    t2 = verdicts.loc["T2"]
    compared = flat[(flat["table"] == "T2") & flat["counted"] & is_compared(flat["status"])]
    assert int(t2[["consistent", "below", "above", "undetermined"]].sum()) == len(compared)
    spread = compared["std"].dropna().median()
    assert t2["median_spread"] == pytest.approx(spread)
    assert verdicts.loc["T4", "undetermined"] >= 1 and np.isnan(verdicts.loc["T4", "median_spread"])
    line = seeds_line(verdicts, {"T2": "Table 2"})
    assert line.startswith("Seeds needed") and "Table 2" in line
    one_seed = verdicts.assign(seeds_needed=np.nan)
    assert "run two or more" in seeds_line(one_seed, {})


def test_exports_carry_the_interval_and_the_verdict(cells):
    flat = cells.reset_index().assign(
        row=lambda f: f["category"], column=lambda f: f["setting"], backbone="", image_size=0, epochs=0, teacher=""
    )
    tidy = flat.rename(columns={"mean": "ours_mean", "std": "ours_std"})[TIDY_COLUMNS]
    assert {"n_seeds", "ours_std", "pi_low", "pi_high", "test_low", "test_high", "verdict"} <= set(tidy.columns)
    markdown = summary_markdown(flat, tidy, {}, "summary", [])
    assert "| consistent | below | above | undetermined |" in markdown
    assert pd.api.types.is_float_dtype(tidy["pi_low"])


def test_test_set_intervals_are_the_runs_bounds_averaged_over_seeds(cells):
    carpet = cells.loc[("T1", "256", "mvtec", "image_auroc", "carpet")]  # 0.99 ± 0.01 and 0.97 ± 0.01
    assert (carpet["test_low"], carpet["test_high"]) == (pytest.approx(97.0), pytest.approx(99.0))
    bottle = cells.loc[("T1", "256", "mvtec", "image_auroc", "bottle")]  # 1.0: clipped at the top
    assert (bottle["test_low"], bottle["test_high"]) == (pytest.approx(99.0), pytest.approx(100.0))
    assert np.isnan(cells.loc[("T1", "256", "mvtec", "image_auroc", "mean"), "test_low"])  # an average
    assert np.isnan(cells.loc[("T7", "M1", "mvtec", "image_auroc", "mean"), "test_low"])  # another level
    assert np.isnan(cells.loc[("T2", "256", "mvtec", "pro_public", "carpet"), "test_low"])  # not bootstrapped


def test_a_malformed_interval_names_its_file(tmp_path):
    import json

    from results_fixtures import write_metrics

    from rd4ad.files.errors import RD4ADError

    folder = tmp_path / "mvtec" / "carpet" / "headline" / "seed0"
    write_metrics(folder, ("mvtec", "carpet", "headline", 0), {"image_auroc": 0.9, "pixel_auroc": 0.8, "pro": 0.7})
    data = json.loads((folder / "metrics.json").read_text())
    data["intervals"]["image_auroc"] = [0.5]
    (folder / "metrics.json").write_text(json.dumps(data))
    with pytest.raises(RD4ADError, match=r"metrics\.json: intervals\.image_auroc = \[0\.5\] is not \[low, high\]"):
        collect_intervals(tmp_path)
