"""The report's Comparisons section on the fixture tree (tests/results_fixtures.py): the audit
pairs and the config's ``comparisons:`` as a table, a forest plot, CSV / LaTeX rows and summary.md lines."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pandas as pd
import pytest
from data_fixtures import DIGITS_RUN
from results_fixtures import build_tree

from rd4ad.contract.run import RunConfig
from rd4ad.planning.plan import ComparisonPair
from rd4ad.planning.planner import plan_config_file
from rd4ad.report import build_report
from rd4ad.report.cross_implementation import KNOWN_DIFFERENCES, NOT_MEASURED, differing_knobs, measured_text
from rd4ad.results.comparisons import SUMMARY_COLUMNS, Comparison

TITLE = "Eq. 2 loss against the headline"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("comparisons")
    plan, _ = build_tree(
        root, artifacts=False, comparisons=[{"reference": "headline", "candidate": "loss_eq2", "title": TITLE}]
    )
    return build_report(plan, root / "report" / "index.html")


def test_the_config_comparison_and_the_audit_pairs_are_planned(tmp_path):
    plan, _ = build_tree(
        tmp_path, artifacts=False, comparisons=[{"reference": "headline", "candidate": "loss_eq2", "title": TITLE}]
    )
    plan = plan_config_file(tmp_path / "config.yaml")
    pairs = [(c.reference, c.candidate, c.title) for c in plan.comparisons]
    assert pairs[0] == ("headline", "loss_eq2", TITLE)  # named once, with the config's title
    assert ("headline", "decoder_supplement") in [p[:2] for p in pairs] and len(pairs) == 5
    trained = plan.runs["mvtec/bottle/loss_eq2/seed112"].tables  # every category and seed of the config
    assert "comparison:headline:loss_eq2" in trained


def test_comparisons_are_exported_with_hand_computed_deltas(report):
    rows = pd.read_csv(report.parent / "tables/comparisons.csv")
    loss = rows[(rows["title"] == TITLE) & (rows["metric"] == "image_auroc")].set_index("category")
    # carpet seed 111 only has both: 95 − 99 = −4.0 pp; one value: no interval, no verdict
    assert loss.loc["carpet", "mean"] == pytest.approx(-4.0) and loss.loc["carpet", "n"] == 1
    assert loss.loc["mean", "verdict"] == "needs ≥ 7 seeds or categories" and pd.isna(loss.loc["mean", "detectable"])
    assert list(loss.index) == ["carpet", "mean"]
    tex = (report.parent / "tables/comparisons.tex").read_text(encoding="utf-8")
    assert (
        rf"{TITLE} & image\_auroc & -4.00 & --- & 1 & not estimable & needs $\geq$ 7 seeds or categories \\" in tex
    )  # one value: nothing varies


def test_the_page_and_the_summary_show_the_section(report):
    html = report.read_text(encoding="utf-8")
    assert 'id="comparisons"' in html and "figures/comparison_headline_vs_loss_eq2.png" in html
    assert (report.parent / "figures/comparison_headline_vs_loss_eq2.png").stat().st_size > 1000
    summary = (report.parent / "summary.md").read_text(encoding="utf-8")
    assert f"| {TITLE} | image_auroc | 1 × 1 | -4.00 |" in summary


def test_a_known_difference_is_measured_by_the_comparison_that_switches_it_alone():
    """The cross-implementation section says what each difference from anomalib changes on its own: the
    comparison whose two variants differ in that knob and nothing else."""
    base = RunConfig(**DIGITS_RUN, epochs=1)
    runs = {
        "ref": base,
        "beta": replace(base, variant="beta", adam_beta2=0.99),
        "both": replace(base, variant="both", adam_beta2=0.99, batch_size=32),
    }
    plan = SimpleNamespace(variant_run=runs.get)

    def compared(candidate: str, image: float, pixel: float) -> tuple:
        summary = pd.DataFrame(
            [
                ("mnist", "image_auroc", 1, 1, image, image, image, 1.0, 1.0, 1.0, None, "no evidence"),
                ("mnist", "pixel_auroc", 1, 1, pixel, pixel, pixel, 1.0, 1.0, 1.0, None, "no evidence"),
            ],
            columns=SUMMARY_COLUMNS,
        )
        return ComparisonPair("t", "ref", candidate, "mnist"), Comparison("ref", candidate, pd.DataFrame(), summary)

    pairs = [compared("both", -5.0, -5.0), compared("beta", -1.26, 0.5)]
    assert differing_knobs(plan, pairs[0][0]) == {"adam_beta2", "batch_size"}
    differences = {d.knob or d.what: d for d in KNOWN_DIFFERENCES}
    assert measured_text(differences["adam_beta2"], plan, pairs) == (
        "beta − ref: image AUROC -1.3 / pixel AUROC +0.5 pp (no evidence; the Comparisons section)"
    )
    assert measured_text(differences["batch_size"], plan, pairs) == NOT_MEASURED  # only together with β2
    assert measured_text(differences["Resuming"], plan, pairs) == "—"  # no knob switches it
