"""The report's "Beyond the paper" section (rd4ad/report/beyond.py) from hand-made run frames: mean ± seed sd,
the test-set interval beside it (none for the mean row), LOCO's kinds apart, the counted PRO, no comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rd4ad.planning.planner import load_yaml, make_plan
from rd4ad.report.beyond import ALL, beyond_markdown, beyond_section, beyond_values
from rd4ad.report.exports import DEMO_LINE, csv_text
from rd4ad.results.tree import INTERVAL_COLUMNS, RUN_COLUMNS

REPO = Path(__file__).resolve().parents[1]
LEVEL = "l123"  # the runs' headline level subset
# (dataset, category, seed) → image AUROC, pixel AUROC, pro_public, pro, pro_anomalib22 (fractions)
HEADLINE = {
    ("visa", "capsules", 0): (0.90, 0.95, 0.80, 0.70, 0.85),
    ("visa", "capsules", 1): (0.94, 0.97, 0.84, 0.74, 0.89),
    ("visa", "candle", 0): (0.80, 0.91, 0.60, 0.50, 0.65),
    ("visa", "candle", 1): (0.82, 0.93, 0.62, 0.52, 0.67),
    ("loco", "pushpins", 0): (0.70, 0.80, 0.50, 0.40, 0.55),
    ("loco", "pushpins", 1): (0.74, 0.84, 0.54, 0.44, 0.59),
}
KINDS = {("logical_anomalies", 0): 0.60, ("logical_anomalies", 1): 0.64, ("structural_anomalies", 0): 0.82}
METRICS = ("image_auroc", "pixel_auroc", "pro_public", "pro", "pro_anomalib22")


def _row(dataset, category, seed, level, metric, value):
    key = f"{dataset}/{category}/headline/seed{seed}"
    return dict(zip(RUN_COLUMNS, (key, dataset, category, "headline", seed, level, metric, value, LEVEL, True, "cpu")))


@pytest.fixture(scope="module")
def plan():
    raw = {**load_yaml(REPO / "config" / "demo.yaml"), "tables": str(REPO / "config" / "tables.yaml")}
    raw["datasets"]["visa"]["categories"] = ["capsules", "candle"]
    raw["beyond"] = {"variant": "headline", "datasets": ["visa", "loco"], "seeds": [0, 1]}
    return make_plan(raw)


@pytest.fixture(scope="module")
def section(plan):
    runs = [
        _row(*key, level, m, v)
        for key, values in HEADLINE.items()
        for m, v in zip(METRICS, values)
        for level in (LEVEL, "l1")
    ]
    runs.append(_row("mvtec", "nut", 0, LEVEL, "image_auroc", 0.5))  # not a beyond run: left out
    kinds = [_row("loco", "pushpins", seed, kind, "image_auroc", v) for (kind, seed), v in KINDS.items()]
    intervals = [
        dict(zip(INTERVAL_COLUMNS, (d, c, "headline", s, LEVEL, m, v - 0.05, min(v + 0.03, 1.0))))
        for (d, c, s), values in HEADLINE.items()
        for m, v in zip(METRICS, values)
        if m in ("image_auroc", "pixel_auroc", "pro")
    ]
    values = beyond_values(plan, pd.DataFrame(runs), pd.DataFrame(kinds, columns=RUN_COLUMNS), pd.DataFrame(intervals))
    assert set(values["level"]) == {ALL, "logical_anomalies", "structural_anomalies"}
    return beyond_section(plan, values, demo=True)


def _cell(section, dataset, category, kind, metric):
    frame = section.frame.set_index(["dataset", "category", "kind", "metric"])
    return frame.loc[(dataset, category, kind, metric)]


def test_category_cells_are_mean_and_seed_sd_with_the_test_interval_averaged_over_seeds(section):
    capsules = _cell(section, "visa", "capsules", ALL, "image_auroc")
    assert capsules["ours_mean"] == pytest.approx(92.0) and capsules["ours_std"] == pytest.approx(np.sqrt(8.0))
    assert (capsules["test_low"], capsules["test_high"]) == (pytest.approx(87.0), pytest.approx(95.0))
    assert capsules["n_seeds"] == 2 and capsules["counted"]
    assert np.isnan(_cell(section, "visa", "capsules", ALL, "pro_public")["test_low"])  # no interval measured


def test_the_mean_row_is_over_per_seed_category_means_without_an_interval(section):
    mean = _cell(section, "visa", "mean", ALL, "image_auroc")
    assert mean["ours_mean"] == pytest.approx(86.5)  # seeds: (90 + 80) / 2 = 85, (94 + 82) / 2 = 88
    assert mean["ours_std"] == pytest.approx(np.std([85.0, 88.0], ddof=1))
    assert np.isnan(mean["test_low"]) and np.isnan(mean["test_high"])


def test_loco_kinds_are_rows_apart_and_only_loco_has_them(section):
    logical = _cell(section, "loco", "pushpins", "logical_anomalies", "image_auroc")
    assert (logical["ours_mean"], logical["ours_std"]) == (pytest.approx(62.0), pytest.approx(np.sqrt(8.0)))
    structural = _cell(section, "loco", "pushpins", "structural_anomalies", "image_auroc")
    assert (structural["ours_mean"], structural["n_seeds"]) == (pytest.approx(82.0), 1)
    assert np.isnan(structural["ours_std"]) and np.isnan(structural["test_low"])
    assert set(section.frame.loc[section.frame["dataset"] == "visa", "kind"]) == {ALL}
    loco = section.tables[1]
    assert [r.label for r in loco.rows] == [
        "pushpins",
        "pushpins · logical",
        "pushpins · structural",
        "mean",
        "mean · logical",
        "mean · structural",
    ]
    assert loco.rows[2].cells[0].text == "82.0" and loco.rows[2].cells[1].text == "–"  # no pixel AUROC per kind


def test_tables_show_the_counted_pro_first_the_others_beside_and_no_comparison(plan, section):
    visa = section.tables[0]
    assert visa.title == "visa — VisA (replica: synthetic content in the real format)"
    headers = [h.text for h in visa.header[0]]
    assert headers == ["image AUROC", "pixel AUROC", "per-image PRO (counted)", "PRO (exact)", "anomalib ≤ 2.2 AUPRO"]
    capsules = visa.rows[0]
    assert capsules.cells[0].text == "92.0 ± 2.8 [87.0, 95.0]"
    assert capsules.cells[3].text == "72.0 ± 2.8 [67.0, 75.0]" and not capsules.cells[3].counted
    assert visa.rows[-1].cells[0].text == "86.5 ± 2.1"  # the mean: no interval
    assert not [c for r in visa.rows for c in r.cells if c.kind in ("delta", "paper") or c.verdict]
    assert section.replicas and section.notes[0].startswith("DEMO: the datasets marked replica are small replicas")
    assert any("without an interval" in note for note in section.notes)


def test_the_csv_and_the_markdown_lines(section, tmp_path):
    path = tmp_path / section.csv
    path.parent.mkdir()
    path.write_text(csv_text(section.frame, section.comment))
    assert section.csv == "tables/beyond.csv" and path.read_text().startswith(DEMO_LINE)
    frame = pd.read_csv(path, comment="#")
    assert len(frame) == (3 + 2 * 3) * len(METRICS)  # visa: 2 categories + mean; loco: (1 + mean) × 3 kinds
    lines = beyond_markdown(section, demo=True)
    assert lines[1] == "### Beyond the paper (DEMO: small replicas, not comparable with anything)"
    assert "- visa (visa, replica), mean over categories: image AUROC 86.5 ± 2.1, pixel AUROC 94.0 ± 1.4" in lines[3]


def test_before_any_run_every_cell_is_missing_and_without_beyond_there_is_no_section(plan):
    empty = pd.DataFrame(columns=RUN_COLUMNS)
    values = beyond_values(plan, empty, empty, pd.DataFrame(columns=INTERVAL_COLUMNS))
    section = beyond_section(plan, values, demo=True)
    assert {c.text for t in section.tables for r in t.rows for c in r.cells} == {"–"}
    raw = {**load_yaml(REPO / "config" / "demo.yaml"), "tables": str(REPO / "config" / "tables.yaml")}
    del raw["beyond"]
    none = beyond_section(make_plan(raw), values, demo=True)
    assert none.tables == [] and beyond_markdown(none, demo=True) == []
