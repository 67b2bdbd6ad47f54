"""Display tables: cells, header rows with spans, grouped rows, number formatting, and the plain tables
(a DataFrame as a table; an audit pair). The paper's tables are laid out in rd4ad/report/paper_tables.py.
A cell carries its state (kind, status, verdict, whether it counts); the template turns it into CSS classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

import numpy as np
import pandas as pd

from rd4ad.published import AVERAGES, CLASS_IDS, OBJECTS, TEXTURES
from rd4ad.published.metrics import label
from rd4ad.report.audit import ROLES, AuditComparison

DATASET_LABELS = {
    "mvtec": "MVTec AD",
    "mnist": "MNIST",
    "fmnist": "F-MNIST",
    "cifar10": "CIFAR-10",
    "caltech256": "Caltech-256",
}
AVERAGE_LABELS = {"textures": "Textures (avg)", "objects": "Objects (avg)", "mean": "Mean"}
ROW_GROUPS = (
    (TEXTURES + ("textures",), "Textures"),
    (OBJECTS + ("objects",), "Objects"),
    (CLASS_IDS, "Classes"),
    (("mean",), ""),
)
EXTRA_GROUP = "Not in the paper (this configuration)"
COLUMN_LABELS = {  # headers of the plain frame tables (summary, consistency)
    "n_compared": "compared cells",
    "mean_delta": "mean Δ (pp)",
    "mean_abs_delta": "mean |Δ| (pp)",
    "done": "runs done",
    "expected": "runs planned",
    "printed": "printed",
    "recomputed": "mean of its cells",
    "n_cells": "cells",
    "table_a": "table",
    "value_a": "printed",
    "table_b": "other table",
    "value_b": "printed there",
    "median_spread": "median seed sd (pp)",
    "seeds_needed": "seeds for ±0.5 pp",
    "single_run_floor": "single-run floor (pp)",
}
VERDICT_MARKS = {"consistent": "≈", "below": "↓", "above": "↑", "undetermined": "?"}
DECIMALS = {"memory_mb": 0}
MISSING = "–"
NOTE_MARK = "†"


@dataclass(frozen=True)
class Cell:
    text: str
    kind: str = ""  # baseline | paper | ours | delta | reference | alternative | missing; "" plain
    status: str = ""  # a measured cell's status (rd4ad.report.aggregate.STATUSES)
    verdict: str = ""  # a Δ cell's verdict, "none" where it has none
    counted: bool = True  # False: the other PRO measure, shown beside the counted one (pro_reproduction)
    title: str = ""  # hover text
    data: dict = field(default_factory=dict)  # data-* attributes: tidy labels and entry
    note: str = ""  # a paper-internal inconsistency, shown as a marker


@dataclass(frozen=True)
class HeaderCell:
    text: str
    colspan: int = 1


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[Cell] = field(default_factory=list)
    css: str = ""  # "group": a heading row


@dataclass(frozen=True)
class DisplayTable:
    key: str
    title: str
    corner: str
    header: list[list[HeaderCell]]
    rows: list[Row]
    width: int


def decimals(value: float, metric: str) -> int:
    """Printed decimals: 1 for percent, 0 for MB; seconds (Table 3) with at least 2 decimals and
    2 significant digits (0.31, 0.012)."""
    if metric == "infer_s" and np.isfinite(value) and value != 0:
        return max(2, 1 - int(np.floor(np.log10(abs(value)))))
    return DECIMALS.get(metric, 1)


def fmt(value: float, metric: str = "", std: float = np.nan, sign: bool = False) -> str:
    """A number as printed, ``± std`` when given, MISSING for NaN; ``sign`` puts + before a positive
    value; a value that rounds to zero is printed unsigned (0.0, never -0.0 or +0.0)."""
    if pd.isna(value):
        return MISSING
    places = decimals(value, metric)
    text = f"{value:.{places}f}"
    if float(text) == 0:
        text = f"{0:.{places}f}"
    elif sign and value > 0:
        text = f"+{text}"
    return f"{text} ± {std:.{places}f}" if pd.notna(std) else text


def category_label(category: str) -> str:
    return AVERAGE_LABELS.get(category, category)


def category_group(category: str) -> str:
    """Heading a category row sits under ("" for the overall mean)."""
    for members, name in ROW_GROUPS:
        if category in members:
            return name
    return EXTRA_GROUP


def header_rows(columns: list[tuple], labelers: list) -> list[list[HeaderCell]]:
    """Spanning header rows for column tuples; levels with one value are left out (the last kept)."""
    last = len(columns[0]) - 1
    shown = [i for i in range(last + 1) if i == last or len({c[i] for c in columns}) > 1]
    return [
        [
            HeaderCell(labelers[i](prefix[-1]), len(list(span)))
            for prefix, span in groupby(columns, key=lambda c, i=i: c[: i + 1])
        ]
        for i in shown
    ]


def audit_table(comparison: AuditComparison) -> DisplayTable:
    """Category rows (configured + averages), metric × (reference, alternative, Δ) columns."""
    frame = comparison.frame.set_index(["metric", "category", "role"])
    metrics = list(dict.fromkeys(comparison.frame["metric"]))
    columns = [(m, role) for m in metrics for role in ROLES]
    names = {"reference": comparison.reference, "alternative": comparison.alternative, "delta": "Δ"}
    categories = list(dict.fromkeys(comparison.frame["category"]))
    rows = []
    for category in categories:
        row = []
        for metric, role in columns:
            c = frame.loc[(metric, category, role)]
            text = "missing" if c["n_seeds"] == 0 else fmt(c["mean"], metric, c["std"], sign=role == "delta")
            row.append(Cell(text, role if c["n_seeds"] else "missing", title=f"{c['n_seeds']} seeds"))
        rows.append(Row(category_label(category), row, "average" if category in AVERAGES else ""))
    labelers = [label, lambda r: names[r]]
    return DisplayTable(
        comparison.key, comparison.title, "Category", header_rows(columns, labelers), rows, len(columns) + 1
    )


def frame_table(key: str, title: str, frame: pd.DataFrame, index: str) -> DisplayTable:
    """A plain DataFrame as a display table: ``index`` column as row labels, the rest as cells,
    headers from ``COLUMN_LABELS``."""
    columns = [c for c in frame.columns if c != index]

    def text(value) -> str:
        if isinstance(value, float):
            return MISSING if np.isnan(value) else f"{value:.2f}"
        return str(value)

    rows = [Row(str(r[index]), [Cell(text(v)) for v in r[columns]]) for _, r in frame.iterrows()]
    return DisplayTable(
        key,
        title,
        COLUMN_LABELS.get(index, index),
        [[HeaderCell(COLUMN_LABELS.get(str(c), str(c))) for c in columns]],
        rows,
        len(columns) + 1,
    )
