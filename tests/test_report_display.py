"""How cells read: numbers as printed (no signed zero, enough digits for Table 3's seconds), human
headers, and paper-internal inconsistencies marked in the cells where they appear."""

from __future__ import annotations

import pandas as pd
import pytest
from results_fixtures import build_tree

from rd4ad.planning.plan import Plan
from rd4ad.report.aggregate import delta_summary
from rd4ad.report.collect import collect
from rd4ad.report.display import NOTE_MARK, fmt, frame_table
from rd4ad.report.paper_tables import paper_table


@pytest.mark.parametrize(
    "value, metric, std, sign, text",
    [
        (-0.04, "image_auroc", float("nan"), True, "0.0"),  # never -0.0
        (0.04, "image_auroc", float("nan"), True, "0.0"),  # never +0.0
        (-0.0, "image_auroc", float("nan"), False, "0.0"),
        (0.06, "image_auroc", float("nan"), True, "+0.1"),
        (-0.35, "image_auroc", float("nan"), True, "-0.3"),  # banker's rounding of the float -0.35
        (98.95, "image_auroc", 0.707, False, "99.0 ± 0.7"),
        (0.31, "infer_s", float("nan"), False, "0.31"),  # as Table 3 prints it
        (0.0123, "infer_s", float("nan"), False, "0.012"),  # two significant digits, not "0.01"
        (0.00042, "infer_s", float("nan"), False, "0.00042"),
        (1.4, "infer_s", float("nan"), False, "1.40"),
        (-0.2977, "infer_s", float("nan"), True, "-0.30"),
        (352.0, "memory_mb", float("nan"), False, "352"),
        (58.4, "memory_mb", float("nan"), True, "+58"),
        (float("nan"), "image_auroc", float("nan"), True, "–"),
    ],
)
def test_numbers_read_as_printed(value, metric, std, sign, text):
    assert fmt(value, metric, std, sign) == text


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    plan_path, _ = build_tree(tmp_path_factory.mktemp("display"), artifacts=False)
    return collect(Plan.read(plan_path))


def _cell(table, row_label: str, entry: str):
    """The first cell of ``entry`` (a method, ``paper``) in the row labelled ``row_label``."""
    row = next(r for r in table.rows if r.label == row_label)
    return next(c for c in row.cells if c.data.get("entry") == entry)


def test_a_value_printed_differently_in_another_table_is_marked_in_both(labelled):
    inputs = labelled
    tables = inputs.plan.tables
    assert inputs.names["T4"] == "Table 4" and inputs.names["S2"] == "Supplement Table 2" and not inputs.demo
    t4 = paper_table(tables["T4"], inputs)
    mnist = _cell(t4, "RD4AD (paper)", "paper")  # first column: MNIST
    assert (mnist.text, mnist.note) == ("99.3", "Supplement Table 2 prints 99.2 for the same run")
    ocgan = next(r for r in t4.rows if r.label == "OCGAN").cells[0]
    assert (ocgan.text, ocgan.note) == ("97.3", "Supplement Table 2 prints 97.5 for the same run")
    # ours for T4 MNIST: classes 0 and 1 of seed 111 → 98.95; its Δ says which printed value it is against
    delta = next(r for r in t4.rows if r.label == "Δ").cells[0]
    assert delta.text == "-0.3" and "against 99.3; Supplement Table 2 prints 99.2" in delta.title
    assert next(r for r in t4.rows if r.label == "RD4AD (paper)").cells[1].note == ""  # F-MNIST: consistent
    s2 = paper_table(tables["S2"], inputs)
    mean = next(r for r in s2.rows if r.label == "Mean")
    paper = [c for c in mean.cells if c.data.get("entry") == "paper"]
    assert [(c.text, c.note) for c in paper] == [
        ("99.2", "Table 4 prints 99.3 for the same run"),
        ("95.0", ""),
        ("86.5", ""),
    ]
    # a printed average that is not the mean of its cells (Table 1, CutPaste, 256 × 256)
    t1 = paper_table(tables["T1"], inputs)
    cutpaste = _cell(t1, "Mean", "CutPaste")
    assert cutpaste.text == "96.1" and cutpaste.note == "the mean of the 15 cells it summarises is 96.16"
    assert NOTE_MARK == "†"


def test_summary_headers_are_words_not_column_names(labelled):
    table = frame_table("deltas", "Mean deltas", delta_summary(labelled.cells).reset_index(), "table")
    headers = [h.text for h in table.header[0]]
    assert headers[:3] == ["compared cells", "mean Δ (pp)", "mean |Δ| (pp)"]
    assert not [h for h in headers if "_" in h]
    # Table 1: Δ −0.9, 0.0, −1.5, +2.0, +0.5
    assert [c.text for c in table.rows[0].cells][:3] == ["5", "0.02", "0.98"]


def test_tidy_labels_name_what_a_reader_sees(labelled):
    cells = labelled.cells
    key = ["table", "metric", "setting", "category"]
    labels = cells.set_index(key)[["row", "column"]]
    assert tuple(labels.loc[("T2", "pro_public", "256", "carpet")]) == ("carpet", "256 × 256 · PRO")
    assert tuple(labels.loc[("T1", "image_auroc", "128", "textures")]) == ("Textures (avg)", "128 × 128")
    assert tuple(labels.loc[("T7", "pro", "M2+3", "mean")]) == ("M2+3", "PRO")
    assert tuple(labels.loc[("T3", "infer_s", "wide_resnet50_2", "mean")]) == ("WRN50", "time (s/img)")
    s2 = cells[cells["table"] == "S2"].set_index(["dataset", "category"])
    assert tuple(s2.loc[("fmnist", "mean"), ["row", "column"]]) == ("Mean", "F-MNIST")
    assert isinstance(cells, pd.DataFrame) and not cells.duplicated(["table", "row", "column", "metric"]).any()
