"""Aggregation on a synthetic results tree: known numbers in, known cells and deltas out."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from results_fixtures import UNRUN_DATASETS, build_tree, write_config, write_metrics

from rd4ad.files.errors import RD4ADError
from rd4ad.planning.plan import Plan
from rd4ad.planning.planner import plan_config_file
from rd4ad.published import load_published
from rd4ad.report.aggregate import build_cells, delta_summary, run_progress
from rd4ad.report.audit import audit_comparisons
from rd4ad.report.collect import collect
from rd4ad.report.display import audit_table
from rd4ad.report.figure_inputs import headline_picks
from rd4ad.report.paper_tables import paper_table
from rd4ad.results.tree import collect_complexity, collect_csv, collect_runs


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    plan_path, results = build_tree(tmp_path_factory.mktemp("tree"), artifacts=False)
    plan = Plan.read(plan_path)
    runs = collect_runs(results)
    cells = build_cells(plan, runs, collect_complexity(results), load_published())
    return plan, results, runs, cells.set_index(["table", "setting", "dataset", "metric", "category"]).sort_index()


def test_per_category_cells_mean_std_delta_status(tree):
    _, _, _, cells = tree
    carpet = cells.loc[("T1", "256", "mvtec", "image_auroc", "carpet")]
    assert carpet["mean"] == pytest.approx(98.0)
    assert carpet["std"] == pytest.approx(np.sqrt(2.0))  # 99 and 97, ddof 1
    assert carpet["published"] == 98.9
    assert carpet["delta"] == pytest.approx(-0.9)
    assert (carpet["n_seeds"], carpet["status"]) == (2, "within")
    pro = cells.loc[("T2", "256", "mvtec", "pro", "carpet")]
    assert (pro["mean"], pro["delta"], pro["status"]) == (pytest.approx(94.0), pytest.approx(-3.0), "off")


def test_group_averages_are_per_seed_means_of_configured_categories(tree):
    _, _, _, cells = tree
    t1 = cells.loc[("T1", "256", "mvtec", "image_auroc")]
    assert t1.loc["textures", "delta"] == pytest.approx(98.0 - 99.5)  # carpet only
    assert t1.loc["objects", "delta"] == pytest.approx(100.0 - 98.0)  # bottle only
    assert t1.loc["mean", "mean"] == pytest.approx(99.0)  # seeds: 99.5, 98.5
    assert t1.loc["mean", "std"] == pytest.approx(np.sqrt(0.5))
    assert list(t1.loc[["textures", "objects", "mean"], "status"]) == ["off", "off", "within"]


def test_unrun_cells_are_missing_and_paper_rows_kept(tree):
    _, _, _, cells = tree
    t1 = cells.loc[("T1", "256", "mvtec", "image_auroc")]
    assert len(t1) == 18  # 15 paper categories + 3 averages
    assert t1.loc["grid", "status"] == "missing" and np.isnan(t1.loc["grid", "delta"])
    assert cells.loc[("T5", "pre", "mvtec", "image_auroc", "mean"), "status"] == "missing"
    assert cells.loc[("T1", "128", "mvtec", "image_auroc", "carpet"), "status"] == "missing"


def test_level_subsets_complexity_and_partial_seeds(tree):
    _, _, _, cells = tree
    m1 = cells.loc[("T7", "M1", "mvtec", "image_auroc", "mean")]
    assert (m1["mean"], m1["published"], m1["status"]) == (pytest.approx(89.0), 90.1, "off")
    infer = cells.loc[("T3", "wide_resnet50_2", "mvtec", "infer_s", "mean")]
    assert (infer["mean"], infer["delta"], infer["status"]) == (0.5, pytest.approx(0.19), "measured")
    mnist = cells.loc[("T4", "default", "mnist", "image_auroc", "mean")]
    assert (mnist["n_seeds"], mnist["n_expected"]) == (1, 2) and np.isnan(mnist["std"])
    assert mnist["mean"] == pytest.approx(98.95) and mnist["delta"] == pytest.approx(-0.35)
    assert cells.loc[("S2", "default", "mnist", "image_auroc", "1"), "status"] == "off"


def test_summary_progress_and_audit(tree):
    plan, results, runs, cells = tree
    summary = delta_summary(cells.reset_index())
    assert summary.loc["T1", "n_compared"] == 5
    assert summary.loc["T1", "mean_delta"] == pytest.approx((-0.9 + 0.0 - 1.5 + 2.0 + 0.5) / 5)
    assert summary.loc["T3", "n_compared"] == 3 and summary.loc["T3", "measured"] == 2
    progress = run_progress(plan, runs)
    # mvtec: 2 categories × (7 table variants, anomalib_rd among them, + 4 audit alternatives) × 2 seeds;
    # novelty: 5 classes × 2 seeds
    assert (int(progress["done"].sum()), len(progress)) == (7, 2 * 11 * 2 + 5 * 2)
    comparisons = audit_comparisons(plan, runs, collect_csv(results, "audit_epochs"))
    audits = {a.key: a.frame.set_index(["metric", "category", "role"]) for a in comparisons}
    keys = [a.key for a in comparisons]  # the three PRO definitions of the same maps, one after the other
    assert keys[keys.index("pro_definition") + 1] == "pro_anomalib22"
    table = audit_table(comparisons[keys.index("pro_anomalib22")])
    assert [c.text for c in table.header[-1]] == ["exact AUPRO", "anomalib ≤ 2.2 AUPRO", "Δ"]
    assert audits["loss"].loc[("image_auroc", "carpet", "delta"), "mean"] == pytest.approx(-4.0)
    assert audits["pro_definition"].loc[("pro", "mean", "delta"), "mean"] == pytest.approx(2.25)
    # anomalib ≤ 2.2's AUPRO of the same maps, above 100 for carpet seed 111: (9 + 4) / 2 and 3, averaged
    assert audits["pro_anomalib22"].loc[("pro", "carpet", "alternative"), "mean"] == pytest.approx(100.5)
    assert audits["pro_anomalib22"].loc[("pro", "mean", "delta"), "mean"] == pytest.approx(4.75)
    assert audits["epoch_selection"].loc[("image_auroc", "carpet", "alternative"), "mean"] == pytest.approx(99.5)
    assert audits["decoder_blocks"].loc[("pro", "carpet", "alternative"), "n_seeds"] == 0


def test_demo_categories_become_rows(tmp_path):
    results = tmp_path / "results"
    write_metrics(
        results / "mvtec/brick/headline/seed111",
        ("mvtec", "brick", "headline", 111),
        {"image_auroc": 0.8, "pixel_auroc": 0.9, "pro": 0.7, "pro_public": 0.75},
        demo=True,
    )
    plan = plan_config_file(
        write_config(tmp_path / "demo.yaml", {"mvtec": ["brick"], "mnist": ["0"], **UNRUN_DATASETS}, mode="demo")
    )
    published = load_published()
    cells = build_cells(plan, collect_runs(results), collect_complexity(results), published)
    t1 = cells[(cells["table"] == "T1") & (cells["setting"] == "256")].set_index("category")
    assert t1.loc["brick", "status"] == "unpublished" and t1.loc["brick", "mean"] == pytest.approx(80.0)
    assert t1.loc["mean", "delta"] == pytest.approx(80.0 - 98.5)
    inputs = collect(plan)
    table = paper_table(plan.tables["T1"], inputs)
    # demo data is never compared: ours without Δ (256, anomalib)
    assert [h.text for h in table.header[-1]][-3:] == ["RD4AD (paper)", "ours (DEMO)", "ours (DEMO)"]
    labels = [row.label for row in table.rows]  # the categories it runs, the paper's lack just before the mean
    assert labels == ["Not in the paper (this configuration)", "brick", "Mean"]  # the paper's other categories left out
    mean = inputs.cells.set_index(["table", "setting", "metric", "category"]).loc[("T1", "256", "image_auroc", "mean")]
    assert mean["status"] == "incomparable" and np.isnan(mean["delta"]) and mean["verdict"] == ""
    for folder in results.glob("mvtec/*/*/seed*"):  # before any run finishes: its rows, every cell missing
        (folder / "metrics.json").unlink()
    unrun = collect(plan).cells
    t1 = unrun[(unrun["table"] == "T1") & (unrun["setting"] == "256")]
    assert list(t1["category"]) == ["brick", "mean"] and set(t1["status"]) == {"missing"}


def test_broken_metrics_json_names_the_file(tmp_path):
    bad = tmp_path / "mvtec/carpet/v/seed1/metrics.json"
    bad.parent.mkdir(parents=True)
    bad.write_text("{not json")
    with pytest.raises(RD4ADError, match=str(bad)):
        collect_runs(tmp_path)
    bad.write_text(json.dumps({"levels": {}}))
    with pytest.raises(RD4ADError, match="headline"):
        collect_runs(tmp_path)


def test_config_without_required_keys_is_one_clear_error(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("mode: paper\n")
    with pytest.raises(RD4ADError) as err:
        plan_config_file(path)
    assert str(err.value) == f"{path}: config key (top level): 'seeds' is a required property"
    assert isinstance(collect_runs(tmp_path / "nothing"), pd.DataFrame)


@pytest.mark.parametrize("key, counted, other", [("public", "pro_public", "pro"), ("exact", "pro", "pro_public")])
def test_both_pro_definitions_have_deltas_and_the_config_picks_the_counted_one(tmp_path, key, counted, other):
    plan_path, results = build_tree(tmp_path, artifacts=False, pro_reproduction=key)
    plan = Plan.read(plan_path)
    assert plan.pro_reproduction == key
    cells = build_cells(plan, collect_runs(results), collect_complexity(results), load_published())
    pro = cells[(cells["table"] == "T2") & (cells["setting"] == "256")].set_index(["metric", "category"])
    # carpet, published 97.0: per-image PRO 97 / 96 → 96.5 (Δ −0.5), exact AUPRO 93 / 95 → 94.0 (Δ −3.0)
    assert pro.loc[("pro_public", "carpet"), "delta"] == pytest.approx(-0.5)
    assert pro.loc[("pro", "carpet"), "delta"] == pytest.approx(-3.0)
    # mean, published 93.9: per-image 97.25 (Δ +3.35, off), exact 95.0 (Δ +1.1, within)
    assert pro.loc[("pro_public", "mean"), "delta"] == pytest.approx(3.35)
    assert pro.loc[("pro", "mean"), "delta"] == pytest.approx(1.1)
    assert pro.loc[(counted, "carpet"), "counted"] and not pro.loc[(other, "carpet"), "counted"]
    statuses = {"public": ("within", "off"), "exact": ("off", "within")}[key]
    assert (pro.loc[(counted, "carpet"), "status"], pro.loc[(counted, "mean"), "status"]) == statuses
    # the summary counts the counted definition only: T2 256 pixel AUROC (5 cells, Δ sum +0.25) + PRO
    summary = delta_summary(cells)
    assert summary.loc["T2", "n_compared"] == 10
    expected = {
        "public": (0.25 - 0.5 + 1.5 + 1.4 + 4.6 + 3.35) / 10,
        "exact": (0.25 - 3.0 - 1.0 - 0.6 + 2.6 + 1.1) / 10,
    }
    assert summary.loc["T2", "mean_delta"] == pytest.approx(expected[key])
    assert summary.loc["T2", "off"] == 2 and summary.loc["T3", "n_compared"] == 3


def test_rows_settings_and_baselines_follow_the_printed_order(tree):
    plan, results, _, _ = tree
    inputs = collect(plan)
    assert not inputs.demo and inputs.plan.results == results
    t1 = paper_table(plan.tables["T1"], inputs)
    assert [h.text for h in t1.header[0]] == ["128 × 128", "256 × 256", "anomalib RD"]  # Table 1: 128 first
    assert [h.text for h in t1.header[1]] == [
        "MKD",
        "RD4AD (paper)",
        "ours",
        "Δ",
        "GT",
        "GANomaly",
        "US",
        "PSVDD",
        "DAAD",
        "MF",
        "PaDiM",
        "CutPaste",
        "RD4AD (paper)",
        "ours",
        "Δ",
        "ours",
    ]
    labels = [row.label for row in t1.rows]
    assert labels[:7] == ["Textures", "carpet", "grid", "leather", "tile", "wood", "Textures (avg)"]
    assert labels[7:] == [
        "Objects",
        "bottle",
        "cable",
        "capsule",
        "hazelnut",
        "metal_nut",
        "pill",
        "screw",
        "toothbrush",
        "transistor",
        "zipper",
        "Objects (avg)",
        "Mean",
    ]
    t2 = paper_table(plan.tables["T2"], inputs)
    assert [h.text for h in t2.header[-1]][-12:-3] == [  # Table 2, 256 × 256, PRO (then anomalib RD)
        "US",
        "MF",
        "SPADE",
        "PaDiM",
        "RD4AD (paper)",
        "ours (per-image)",
        "Δ (per-image)",
        "ours (exact)",
        "Δ (exact)",
    ]
    t4 = paper_table(plan.tables["T4"], inputs)
    assert [row.label for row in t4.rows] == [
        "LSA",
        "OCGAN",
        "HRN",
        "DAAD",
        "MKD",
        "G2D",
        "OiG",
        "RD4AD (paper)",
        "ours",
        "Δ",
    ]
    t7 = paper_table(plan.tables["T7"], inputs)
    assert [h.text for h in t7.header[0]] == ["M1", "M2", "M3", "M2+3", "M1+2+3"]
    assert [row.label for row in t7.rows][-6:] == [
        "PRO",
        "RD4AD (paper)",
        "ours (per-image)",
        "Δ (per-image)",
        "ours (exact)",
        "Δ (exact)",
    ]


def test_figure_panels_come_in_the_paper_order_with_the_first_seed(tmp_path):
    results = tmp_path / "results"
    for category in ("zipper", "carpet", "bottle"):
        for seed in (112, 111):
            write_metrics(
                results / f"mvtec/{category}/headline/seed{seed}",
                ("mvtec", category, "headline", seed),
                {"image_auroc": 0.9, "pixel_auroc": 0.9, "pro": 0.8, "pro_public": 0.85},
            )
    plan = plan_config_file(
        write_config(tmp_path / "c.yaml", {"mvtec": ["zipper", "carpet", "bottle"], "mnist": ["0"], **UNRUN_DATASETS})
    )
    picks = headline_picks(plan, collect_runs(results))
    assert picks["category"].tolist() == ["carpet", "bottle", "zipper"]  # Table 1's rows, not the config's
    assert set(picks["seed"]) == {111} and set(picks["variant"]) == {"headline"}


def test_a_plan_written_before_pro_reproduction_is_one_clear_error(tmp_path):
    plan_path, _ = build_tree(tmp_path, artifacts=False)
    data = json.loads(plan_path.read_text())
    del data["config"]["pro_reproduction"]
    plan_path.write_text(json.dumps(data))
    with pytest.raises(RD4ADError, match="written before the config key pro_reproduction existed; write it again"):
        _ = Plan.read(plan_path).pro_reproduction
