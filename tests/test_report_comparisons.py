"""The report's Comparisons section on the fixture tree (tests/results_fixtures.py): the audit
pairs and the config's ``comparisons:`` as a table, a forest plot, CSV / LaTeX rows and summary.md lines."""

from __future__ import annotations

import pandas as pd
import pytest
from results_fixtures import build_tree

from rd4ad.planning.planner import plan_config_file
from rd4ad.report import build_report

TITLE = "Eq. 2 loss against the headline"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("comparisons")
    plan, _ = build_tree(
        root, artifacts=False, comparisons=[{"reference": "wrn50_256", "candidate": "wrn50_eq2", "title": TITLE}]
    )
    return build_report(plan, root / "report" / "index.html")


def test_the_config_comparison_and_the_audit_pairs_are_planned(tmp_path):
    plan, _ = build_tree(
        tmp_path, artifacts=False, comparisons=[{"reference": "wrn50_256", "candidate": "wrn50_eq2", "title": TITLE}]
    )
    plan = plan_config_file(tmp_path / "config.yaml")
    pairs = [(c.reference, c.candidate, c.title) for c in plan.comparisons]
    assert pairs[0] == ("wrn50_256", "wrn50_eq2", TITLE)  # named once, with the config's title
    assert ("wrn50_256", "wrn50_supdec") in [p[:2] for p in pairs] and len(pairs) == 5
    trained = plan.runs["mvtec/bottle/wrn50_eq2/seed112"].tables  # every category and seed of the config
    assert "comparison:wrn50_256:wrn50_eq2" in trained


def test_comparisons_are_exported_with_hand_computed_deltas(report):
    rows = pd.read_csv(report.parent / "tables/comparisons.csv")
    loss = rows[(rows["title"] == TITLE) & (rows["metric"] == "image_auroc")].set_index("category")
    # carpet seed 111 only has both: 95 − 99 = −4.0 pp; one value: no interval, no evidence
    assert loss.loc["carpet", "mean"] == pytest.approx(-4.0) and loss.loc["carpet", "n"] == 1
    assert loss.loc["mean", "verdict"] == "no evidence" and pd.isna(loss.loc["mean", "detectable"])
    assert list(loss.index) == ["carpet", "mean"]
    tex = (report.parent / "tables/comparisons.tex").read_text(encoding="utf-8")
    assert (
        rf"{TITLE} & image\_auroc & -4.00 & [-4.00, -4.00] & 1 & --- & no evidence \\" in tex
    )  # one value: nothing varies


def test_the_page_and_the_summary_show_the_section(report):
    html = report.read_text(encoding="utf-8")
    assert 'id="comparisons"' in html and "figures/comparison_wrn50_256_vs_wrn50_eq2.png" in html
    assert (report.parent / "figures/comparison_wrn50_256_vs_wrn50_eq2.png").stat().st_size > 1000
    summary = (report.parent / "summary.md").read_text(encoding="utf-8")
    assert f"| {TITLE} | image_auroc | 1 × 1 | -4.00 |" in summary
