"""The paper's published numbers: transcription, vocabulary and internal consistency."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from rd4ad.files.errors import RD4ADError
from rd4ad.published import COLUMNS, SPECS, TABLES_YAML, load_published, validate_published
from rd4ad.published.consistency import average_mismatches, cross_table_mismatches, same_run
from rd4ad.published.tables import read_tables

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def paper() -> pd.DataFrame:
    return load_published()


def cell(df, table, method, setting, dataset, category, metric):
    hit = df[
        (df.table == table)
        & (df.method == method)
        & (df.setting == setting)
        & (df.dataset == dataset)
        & (df.category == category)
        & (df.metric == metric)
    ]
    assert len(hit) == 1, (table, method, setting, dataset, category, metric)
    return float(hit.value.iloc[0])


def test_row_counts_per_table(paper):
    # T1: 11 columns x 18 rows; T2: 9 columns x 18 rows x {AUROC, PRO} less the 9 "-" columns
    # halves (MKD, RIAD, CutPaste PRO; US, MF AUROC); T3: 3 methods x 5; T4: 28 cells less
    # 8 "-"; T5/T6: 3 x 3; T7: 5 x 3; S2: 3 datasets x 4 methods x (10 classes + average).
    counts = paper.groupby("table").size().to_dict()
    assert counts == {"T1": 198, "T2": 234, "T3": 15, "T4": 20, "T5": 9, "T6": 9, "T7": 15, "S2": 132}
    assert len(paper) == 632


def test_table2_dash_cells_have_no_row(paper):
    t2 = paper[paper.table == "T2"].groupby(["method", "setting", "metric"]).size()
    assert set(t2) == {18}
    assert ("MKD", "128", "pro") not in t2.index and ("US", "256", "pixel_auroc") not in t2.index
    assert ("RD4AD", "128", "pro") in t2.index and ("CutPaste", "256", "pixel_auroc") in t2.index


@pytest.mark.parametrize(
    "key, value",
    [
        (("T1", "RD4AD", "256", "mvtec", "carpet", "image_auroc"), 98.9),
        (("T1", "RD4AD", "128", "mvtec", "carpet", "image_auroc"), 99.2),
        (("T1", "MKD", "128", "mvtec", "metal_nut", "image_auroc"), 73.6),
        (("T1", "GANomaly", "256", "mvtec", "textures", "image_auroc"), 77.5),
        (("T1", "RD4AD", "256", "mvtec", "mean", "image_auroc"), 98.5),
        (("T2", "RD4AD", "256", "mvtec", "transistor", "pixel_auroc"), 92.5),
        (("T2", "RD4AD", "256", "mvtec", "transistor", "pro"), 78.0),
        (("T2", "US", "256", "mvtec", "objects", "pro"), 90.8),
        (("T2", "SPADE", "256", "mvtec", "mean", "pixel_auroc"), 96.5),
        (("T3", "RD4AD", "wide_resnet50_2", "mvtec", "mean", "infer_s"), 0.31),
        (("T3", "RD4AD", "wide_resnet50_2", "mvtec", "mean", "memory_mb"), 352),
        (("T3", "PaDiM", "wide_resnet50_2", "mvtec", "mean", "memory_mb"), 3800),
        (("T3", "SPADE", "wide_resnet50_2", "mvtec", "mean", "image_auroc"), 85.5),
        (("T4", "OiG", "default", "caltech256", "mean", "image_auroc"), 98.2),
        (("T4", "RD4AD", "default", "mnist", "mean", "image_auroc"), 99.3),
        (("T5", "RD4AD", "pre", "mvtec", "mean", "pro"), 91.2),
        (("T6", "RD4AD", "resnet50", "mvtec", "mean", "pixel_auroc"), 97.7),
        (("T7", "RD4AD", "M1", "mvtec", "mean", "image_auroc"), 90.1),
        (("T7", "RD4AD", "M3", "mvtec", "mean", "pro"), 89.5),
        (("S2", "RD4AD", "default", "cifar10", "0", "image_auroc"), 89.3),
        (("S2", "HRN", "default", "fmnist", "6", "image_auroc"), 79.8),
        (("S2", "RD4AD", "default", "mnist", "mean", "image_auroc"), 99.2),
    ],
)
def test_spot_cells(paper, key, value):
    assert cell(paper, *key) == value


def test_vocabulary_matches_tables_yaml(paper):
    declared = yaml.safe_load((ROOT / "config" / "tables.yaml").read_text(encoding="utf-8"))
    for table, rows in paper.groupby("table"):
        spec = declared[table]
        printed = {s for s, target in spec["settings"].items() if target.get("published", True)}
        assert set(rows.setting) == printed, table
        assert set(rows.dataset) == set(spec["datasets"]), table
        assert set(rows.metric) == set(spec["metrics"]), table


def test_text_claims_match_the_tables(paper):
    assert cell(paper, "T1", "RD4AD", "256", "mvtec", "textures", "image_auroc") == 99.5
    assert cell(paper, "T1", "RD4AD", "256", "mvtec", "objects", "image_auroc") == 98.0
    assert cell(paper, "T2", "RD4AD", "256", "mvtec", "mean", "pixel_auroc") == 97.8
    assert cell(paper, "T2", "RD4AD", "256", "mvtec", "mean", "pro") == 93.9
    assert cell(paper, "T2", "RD4AD", "128", "mvtec", "transistor", "pixel_auroc") == 97.6
    # Sec. 4.1 claims a 2.5% margin over the runner-up (CutPaste); Table 1 gives 2.4.
    t1_mean = paper[(paper.table == "T1") & (paper.category == "mean")].set_index("method").value
    runner_up = t1_mean.drop("RD4AD").idxmax()
    assert runner_up == "CutPaste"
    assert t1_mean["RD4AD"].max() - t1_mean[runner_up] == pytest.approx(2.4)


def test_average_mismatches_are_the_known_list(paper):
    found = average_mismatches(paper)
    assert list(found.columns) == [
        "table",
        "method",
        "setting",
        "dataset",
        "metric",
        "category",
        "printed",
        "recomputed",
        "n_cells",
    ]
    expected = [
        ("T1", "CutPaste", "256", "mvtec", "image_auroc", "mean", 96.1, 96.16, 15),
        ("T1", "GANomaly", "256", "mvtec", "image_auroc", "mean", 76.2, 76.146667, 15),
        ("T1", "PaDiM", "256", "mvtec", "image_auroc", "mean", 95.5, 95.42, 15),
        ("T2", "PaDiM", "256", "mvtec", "pro", "textures", 93.2, 93.14, 5),
        ("T2", "SPADE", "256", "mvtec", "pixel_auroc", "mean", 96.5, 96.026667, 15),
        ("S2", "OCGAN", "default", "cifar10", "image_auroc", "mean", 65.7, 65.63, 10),
    ]
    got = sorted(tuple(row) for row in found.itertuples(index=False))
    assert [row[:7] + (row[8],) for row in got] == [row[:7] + (row[8],) for row in sorted(expected)]
    assert [row[7] for row in got] == pytest.approx([row[7] for row in sorted(expected)], abs=1e-5)
    # With the loosest rounding bound (0.05 for the printed mean + 0.05 for its cells)
    # only the SPADE pixel-AUROC total stays inconsistent.
    loose = average_mismatches(paper, tol=0.1)
    assert loose[["table", "method", "metric", "category"]].values.tolist() == [["T2", "SPADE", "pixel_auroc", "mean"]]


def test_average_check_catches_a_changed_cell(paper):
    tampered = paper.copy()
    carpet = (
        (tampered.table == "T1")
        & (tampered.method == "RD4AD")
        & (tampered.setting == "256")
        & (tampered.category == "carpet")
    )
    tampered.loc[carpet, "value"] = 90.0
    flagged = average_mismatches(tampered)
    rows = flagged[(flagged.method == "RD4AD") & (flagged.setting == "256")]
    assert rows.category.tolist() == ["textures", "mean"]
    assert rows.recomputed.tolist() == pytest.approx(
        [(90.0 + 100 + 100 + 99.3 + 99.2) / 5, (90.0 + 100 + 100 + 99.3 + 99.2 + 979.5) / 15]
    )


def test_cross_table_mismatches_are_the_known_list(paper):
    found = cross_table_mismatches(paper)
    assert found.values.tolist() == [
        ["OCGAN", "novelty_r18", "mnist", "mean", "image_auroc", "T4", 97.3, "S2", 97.5],
        ["RD4AD", "novelty_r18", "mnist", "mean", "image_auroc", "T4", 99.3, "S2", 99.2],
    ]


def test_the_same_run_is_read_off_tables_yaml():
    runs = same_run()
    assert runs["T1", "256"] == runs["T6", "wide_resnet50_2"] == runs["T7", "M1+2+3"] == "headline"
    assert runs["T7", "M1"] == "headline M1" and runs["T4", "default"] == runs["S2", "default"] == "novelty_r18"


def test_cross_table_check_compares_the_headline_run(paper):
    tampered = paper.copy()
    t6 = (tampered.table == "T6") & (tampered.setting == "wide_resnet50_2") & (tampered.metric == "pro")
    tampered.loc[t6, "value"] = 93.0
    found = cross_table_mismatches(tampered)
    pro = found[found.metric == "pro"]
    assert sorted(zip(pro.table_a, pro.table_b)) == [("T2", "T6"), ("T3", "T6"), ("T5", "T6"), ("T6", "T7")]


def _raw(paper):
    return paper.assign(value=paper.value.map(str)).astype(str)


@pytest.mark.parametrize(
    "column, bad, message",
    [
        ("setting", "512", "setting '512'"),
        ("category", "screws", "category 'screws'"),
        ("metric", "auroc", "metric 'auroc'"),
        ("method", "PaDiM [8]", "method 'PaDiM \\[8\\]'"),
        ("value", "n/a", "value 'n/a'"),
        ("value", "101", "value '101'"),
    ],
)
def test_bad_row_is_named(paper, column, bad, message):
    raw = _raw(paper)
    raw.loc[5, column] = bad
    with pytest.raises(RD4ADError, match=f"line 7 .*{message}"):
        validate_published(raw)


def test_duplicate_cell_and_wrong_columns_are_errors(paper):
    raw = _raw(paper)
    with pytest.raises(RD4ADError, match="transcribed twice"):
        validate_published(pd.concat([raw, raw.iloc[[3]]], ignore_index=True))
    with pytest.raises(RD4ADError, match="columns"):
        validate_published(raw.drop(columns="setting"))
    assert tuple(validate_published(raw).columns) == COLUMNS


def test_each_declared_layout_is_the_paper_s(paper):
    """Category rows where the paper prints a row per category; the compared methods as rows where it
    prints baselines without categories; the paper's own method alone otherwise (Tables 5–7)."""
    for key, spec in SPECS.items():
        printed = paper[paper["table"] == key]
        per_category = (printed.groupby("dataset")["category"].nunique() > 1).any()
        expected = "categories" if per_category else "methods" if spec.methods else "metrics"
        assert spec.layout == expected, key
    assert [SPECS[k].layout for k in ("T1", "T3", "T5")] == ["categories", "methods", "metrics"]


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda t: t["T4"].pop("layout"), "T4: 'layout' is a required property"),
        (lambda t: t["T1"].update(layout="rows"), "T1.layout: 'rows' is not one of"),
        (lambda t: t["T7"]["settings"]["M1"].update(levle="M1"), "T7.settings.M1: Additional properties"),
        (lambda t: t["T1"]["settings"]["256"].update(headline="yes"), "T1.settings.256.headline: 'yes' is not of type"),
    ],
    ids=["missing", "unknown_layout", "misspelt_key", "wrong_type"],
)
def test_a_bad_table_declaration_is_one_error_naming_it(damage, message):
    declared = yaml.safe_load(TABLES_YAML.read_text(encoding="utf-8"))
    damage(declared)
    with pytest.raises(RD4ADError, match="^my/tables.yaml: ") as err:
        read_tables(declared, "my/tables.yaml")
    assert message in str(err.value), str(err.value)


def test_table_specs_are_read_as_declared():
    t1, t7 = SPECS["T1"], SPECS["T7"]
    assert (t1.name, t1.headline.key, t1.headline.variant) == ("Table 1", "256", "headline")
    assert [(s.key, s.label, s.published) for s in t1.settings][-1] == ("anomalib", "anomalib RD", False)
    assert t7.headline.key == "M1" and t7.setting("M2+3").level == "M2+3" and t7.variants == {"headline"}
    assert SPECS["S2"].name == "Supplement Table 2" and SPECS["T4"].setting("default").label == ""
