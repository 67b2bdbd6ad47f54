"""The paper's published numbers (Tables 1–7, supplement Table 2) as one tidy table.

``paper.csv`` holds one row per printed cell: ``table, method, setting, dataset,
category, metric, value`` (percent for AUROC/PRO, seconds for ``infer_s``, MB for
``memory_mb``). Cells printed "-" have no row. ``setting`` values are the keys of
``config/tables.yaml``, which maps each one to the run that reproduces it.
"""

from __future__ import annotations

import re
from importlib.resources import files

import pandas as pd

from rd4ad.errors import RD4ADError

COLUMNS = ("table", "method", "setting", "dataset", "category", "metric", "value")
KEY = COLUMNS[:-1]

SETTINGS = {
    "T1": ("128", "256"),
    "T2": ("128", "256"),
    "T3": ("wide_resnet50_2",),
    "T4": ("default",),
    "T5": ("pre", "pre+oce", "pre+oce+mff"),
    "T6": ("resnet18", "resnet50", "wide_resnet50_2"),
    "T7": ("M1", "M2", "M3", "M2+3", "M1+2+3"),
    "S2": ("default",),
}
TABLES = tuple(SETTINGS)
TEXTURES = ("carpet", "grid", "leather", "tile", "wood")
OBJECTS = ("bottle", "cable", "capsule", "hazelnut", "metal_nut", "pill", "screw",
           "toothbrush", "transistor", "zipper")
CLASSES = tuple(str(k) for k in range(10))
AVERAGES = ("textures", "objects", "mean")
CATEGORIES = {
    "mvtec": TEXTURES + OBJECTS + AVERAGES,
    "mnist": CLASSES + ("mean",),
    "fmnist": CLASSES + ("mean",),
    "cifar10": CLASSES + ("mean",),
    "caltech256": ("mean",),
}
DATASETS = tuple(CATEGORIES)
PERCENT_METRICS = ("image_auroc", "pixel_auroc", "pro")
METRICS = PERCENT_METRICS + ("infer_s", "memory_mb")

PACKAGED_CSV = "rd4ad/published/paper.csv"


def _check_row(line: int, row: pd.Series) -> None:
    """Raise RD4ADError if one row of paper.csv uses a value outside the vocabulary."""
    where = f"{PACKAGED_CSV} line {line} ({', '.join(str(row[c]) for c in COLUMNS)})"
    allowed = {
        "table": TABLES,
        "setting": SETTINGS.get(row["table"], ()),
        "dataset": DATASETS,
        "category": CATEGORIES.get(row["dataset"], ()),
        "metric": METRICS,
    }
    for column, values in allowed.items():
        if row[column] not in values:
            raise RD4ADError(f"{where}: {column} {row[column]!r} is not one of {list(values)}; "
                             "fix the row to use the documented vocabulary")
    if not re.fullmatch(r"[A-Za-z0-9]+", row["method"]):
        raise RD4ADError(f"{where}: method {row['method']!r} must be the printed name without "
                         "citation or markup (e.g. PaDiM), or RD4AD for the paper's own method")
    value = pd.to_numeric(row["value"], errors="coerce")
    upper = 100.0 if row["metric"] in PERCENT_METRICS else float("inf")
    if not 0.0 <= value <= upper:
        raise RD4ADError(f"{where}: value {row['value']!r} is not a number in [0, {upper}]; "
                         "transcribe the printed number")


def validate_published(df: pd.DataFrame) -> pd.DataFrame:
    """Check columns, vocabulary, values and uniqueness; return ``df`` with float ``value``."""
    if tuple(df.columns) != COLUMNS:
        raise RD4ADError(f"{PACKAGED_CSV}: columns {list(df.columns)} must be {list(COLUMNS)}")
    for index, row in df.iterrows():
        _check_row(index + 2, row)
    duplicated = df.duplicated(list(KEY), keep="first")
    if duplicated.any():
        index = int(duplicated.idxmax())
        raise RD4ADError(f"{PACKAGED_CSV} line {index + 2}: cell "
                         f"{tuple(df.loc[index, list(KEY)])} is transcribed twice; keep one row")
    return df.assign(value=df["value"].astype(float))


def load_published() -> pd.DataFrame:
    """Every published cell of Tables 1–7 and supplement Table 2, validated."""
    with files("rd4ad.published").joinpath("paper.csv").open("r", encoding="utf-8") as handle:
        df = pd.read_csv(handle, dtype=str, keep_default_na=False)
    return validate_published(df)
