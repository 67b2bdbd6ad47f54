"""The paper's published numbers (Tables 1–7, supplement Table 2) as one tidy table.

``paper.csv`` holds one row per printed cell: ``table, method, setting, dataset,
category, metric, value`` (percent for AUROC/PRO, seconds for ``infer_s``, MB for
``memory_mb``). Cells printed "-" have no row. The tables, their ``setting`` values and their
compared ``methods`` are those declared in ``config/tables.yaml`` (``SPECS``, rd4ad/published/tables.py),
which maps each setting to the run that reproduces it; settings and methods are listed there in the paper's
printed order, and ``ROWS`` holds the printed order of the category rows.

Imports: ``rd4ad.files``, ``rd4ad.scoring``.
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pandas as pd
import yaml

from rd4ad.files.errors import RD4ADError
from rd4ad.published.metrics import PAPER_METRICS, PERCENT_METRICS
from rd4ad.published.tables import read_tables

COLUMNS = ("table", "method", "setting", "dataset", "category", "metric", "value")
KEY = COLUMNS[:-1]

TABLES_YAML = Path(__file__).resolve().parents[2] / "config" / "tables.yaml"
SPECS = read_tables(yaml.safe_load(TABLES_YAML.read_text(encoding="utf-8")), TABLES_YAML)
SETTINGS = {key: tuple(s.key for s in spec.settings) for key, spec in SPECS.items()}
TABLES = tuple(SETTINGS)
PAPER_METHOD = "RD4AD"  # the paper's own method in paper.csv
# the compared methods of each table in printed order (left to right, top to bottom), RD4AD last
METHODS = {key: SPECS[key].methods + (PAPER_METHOD,) for key in TABLES}
TEXTURES = ("carpet", "grid", "leather", "tile", "wood")
OBJECTS = ("bottle", "cable", "capsule", "hazelnut", "metal_nut", "pill", "screw", "toothbrush", "transistor", "zipper")
CLASS_IDS = tuple(str(k) for k in range(10))
AVERAGES = ("textures", "objects", "mean")
ROWS = {  # the category rows the paper prints per dataset, in printed order (Tables 1, 2; supplement Table 2)
    "mvtec": TEXTURES + ("textures",) + OBJECTS + ("objects", "mean"),
    "mnist": CLASS_IDS + ("mean",),
    "fmnist": CLASS_IDS + ("mean",),
    "cifar10": CLASS_IDS + ("mean",),
    "caltech256": ("mean",),
}
DATASETS = tuple(ROWS)

PACKAGED_CSV = "rd4ad/published/paper.csv"


def _check_row(line: int, row: pd.Series) -> None:
    """Raise RD4ADError if one row of paper.csv uses a value outside the vocabulary."""
    where = f"{PACKAGED_CSV} line {line} ({', '.join(str(row[c]) for c in COLUMNS)})"
    allowed = {
        "table": TABLES,
        "setting": SETTINGS.get(row["table"], ()),
        "dataset": DATASETS,
        "category": ROWS.get(row["dataset"], ()),
        "metric": PAPER_METRICS,
    }
    for column, values in allowed.items():
        if row[column] not in values:
            raise RD4ADError(
                f"{where}: {column} {row[column]!r} is not one of {list(values)}; "
                "fix the row to use the documented vocabulary"
            )
    if not re.fullmatch(r"[A-Za-z0-9]+", row["method"]):
        raise RD4ADError(
            f"{where}: method {row['method']!r} must be the printed name without "
            f"citation or markup (e.g. PaDiM), or {PAPER_METHOD} for the paper's own method"
        )
    if row["method"] not in METHODS[row["table"]]:
        raise RD4ADError(
            f"{where}: method {row['method']!r} is not among the `methods:` config/tables.yaml "
            f"declares for {row['table']}; add it there in the paper's printed order"
        )
    value = pd.to_numeric(row["value"], errors="coerce")
    upper = 100.0 if row["metric"] in PERCENT_METRICS else float("inf")
    if not 0.0 <= value <= upper:
        raise RD4ADError(
            f"{where}: value {row['value']!r} is not a number in [0, {upper}]; transcribe the printed number"
        )


def validate_published(df: pd.DataFrame) -> pd.DataFrame:
    """Check columns, vocabulary, values and uniqueness; return ``df`` with float ``value``."""
    if tuple(df.columns) != COLUMNS:
        raise RD4ADError(f"{PACKAGED_CSV}: columns {list(df.columns)} must be {list(COLUMNS)}")
    for index, row in df.iterrows():
        _check_row(index + 2, row)
    duplicated = df.duplicated(list(KEY), keep="first")
    if duplicated.any():
        index = int(duplicated.idxmax())
        raise RD4ADError(
            f"{PACKAGED_CSV} line {index + 2}: cell "
            f"{tuple(df.loc[index, list(KEY)])} is transcribed twice; keep one row"
        )
    return df.assign(value=df["value"].astype(float))


def load_published() -> pd.DataFrame:
    """Every published cell of Tables 1–7 and supplement Table 2, validated."""
    with files("rd4ad.published").joinpath("paper.csv").open("r", encoding="utf-8") as handle:
        df = pd.read_csv(handle, dtype=str, keep_default_na=False)
    return validate_published(df)
