"""Cells → display tables laid out like the paper (header rows with spans, grouped rows).

Per-category tables (Tables 1, 2, supplement Table 2): rows = categories grouped as in the
paper plus the configured ones, then the averages; columns = (dataset, setting, metric) ×
(published baselines, RD4AD as printed, ours, Δ). Summary tables (3–7): rows = methods,
RD4AD as printed, ours, Δ; columns = (dataset, setting, metric).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

import numpy as np
import pandas as pd

from rd4ad.plan import Plan
from rd4ad.published import AVERAGES, CLASS_IDS, OBJECTS, TEXTURES
from rd4ad.report.aggregate import CELL_KEY, PAPER_METHOD, table_rows
from rd4ad.report.audit import ROLES, AuditComparison

DATASET_LABELS = {"mvtec": "MVTec AD", "mnist": "MNIST", "fmnist": "F-MNIST", "cifar10": "CIFAR-10",
                  "caltech256": "Caltech-256"}
METRIC_LABELS = {"image_auroc": "image AUROC", "pixel_auroc": "pixel AUROC", "pro": "PRO",
                 "pro_public": "per-image PRO", "infer_s": "time (s/img)", "memory_mb": "memory (MB)"}
AVERAGE_LABELS = {"textures": "Textures (avg)", "objects": "Objects (avg)", "mean": "Mean"}
DECIMALS = {"infer_s": 2, "memory_mb": 0}
MISSING = "–"


@dataclass(frozen=True)
class Cell:
    text: str
    css: str = ""
    title: str = ""


@dataclass(frozen=True)
class HeaderCell:
    text: str
    colspan: int = 1


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[Cell] = field(default_factory=list)
    css: str = ""  # "group": a heading row spanning the table


@dataclass(frozen=True)
class DisplayTable:
    key: str
    title: str
    corner: str
    header: list[list[HeaderCell]]
    rows: list[Row]
    width: int


def fmt(value: float, metric: str = "", std: float = np.nan, sign: bool = False) -> str:
    """A number as printed (1 decimal for percent), ``± std`` when given, MISSING for NaN."""
    if pd.isna(value):
        return MISSING
    decimals = DECIMALS.get(metric, 1)
    text = f"{value:+.{decimals}f}" if sign else f"{value:.{decimals}f}"
    return f"{text} ± {std:.{decimals}f}" if pd.notna(std) else text


def category_group(category: str) -> str:
    """Heading a category row sits under."""
    for members, name in ((TEXTURES, "Textures"), (OBJECTS, "Objects"), (CLASS_IDS, "Classes"),
                          (AVERAGES, "Averages")):
        if category in members:
            return name
    return "Not in the paper (this configuration)"


def header_rows(columns: list[tuple], labelers: list) -> list[list[HeaderCell]]:
    """Spanning header rows for column tuples; levels with one value are left out (the last kept)."""
    last = len(columns[0]) - 1
    shown = [i for i in range(last + 1) if i == last or len({c[i] for c in columns}) > 1]
    return [[HeaderCell(labelers[i](prefix[-1]), len(list(span)))
             for prefix, span in groupby(columns, key=lambda c, i=i: c[:i + 1])] for i in shown]


def setting_label(spec: dict, setting: str) -> str:
    """What a table prints for one of its settings: its ``label`` in config/tables.yaml, else its key."""
    return str(spec["settings"][setting].get("label", setting))


def _column_labelers(spec: dict, demo: bool) -> list:
    entry = {"paper": f"{PAPER_METHOD} (paper)", "ours": "ours (DEMO)" if demo else "ours",
             "delta": "Δ (DEMO)" if demo else "Δ"}
    return [lambda d: DATASET_LABELS.get(d, d), lambda s: setting_label(spec, s),
            lambda m: METRIC_LABELS.get(m, m), lambda e: entry.get(e, e)]


class _Lookup:
    """Published values and measured cells of one table, addressed by column key and category."""

    def __init__(self, table: str, cells: pd.DataFrame, published: pd.DataFrame):
        rows = published[published["table"] == table]
        self.cells = cells[cells["table"] == table].set_index(CELL_KEY)
        self.published = rows.set_index(CELL_KEY + ["method"])["value"]
        self.methods = rows.groupby(["dataset", "setting", "metric"], sort=False)["method"].unique()
        self.table = table

    def baselines(self, key: tuple) -> list[str]:
        """Published methods other than RD4AD for one column key, in the paper's order."""
        return [m for m in self.methods.get(key, []) if m != PAPER_METHOD]

    def cell(self, key: tuple, category: str, entry: str) -> Cell:
        dataset, setting, metric = key
        if entry not in ("ours", "delta"):
            method = PAPER_METHOD if entry == "paper" else entry
            value = self.published.get((self.table, dataset, setting, metric, category, method), np.nan)
            return Cell(fmt(value, metric), "paper" if entry == "paper" else "baseline")
        idx = (self.table, dataset, setting, metric, category)
        if idx not in self.cells.index:
            return Cell(MISSING)
        c = self.cells.loc[idx]
        seeds = f"{c['n_seeds']}/{c['n_expected']} seeds, variant {c['variant']}, level {c['level']}"
        if entry == "ours":
            text = "missing" if c["status"] == "missing" else fmt(c["mean"], metric, c["std"])
            return Cell(text, f"ours {c['status']}", seeds)
        tolerance = "" if pd.isna(c["tolerance"]) else f" (tolerance ±{c['tolerance']:g})"
        return Cell(fmt(c["delta"], metric, sign=True), f"delta {c['status']}", f"{c['status']}{tolerance}")


def _keys(spec: dict) -> list[tuple]:
    return [(d, str(s), m) for d in spec["datasets"] for s in spec["settings"] for m in spec["metrics"]]


def per_category_table(key: str, spec: dict, plan: Plan, cells: pd.DataFrame,
                       published: pd.DataFrame, demo: bool) -> DisplayTable:
    """Tables 1, 2, supplement 2: category rows, (dataset, setting, metric, method) columns."""
    look = _Lookup(key, cells, published)
    columns = [k + (entry,) for k in _keys(spec) for entry in look.baselines(k) + ["paper", "ours", "delta"]]
    categories = list(dict.fromkeys(c for d in spec["datasets"]
                                    for c in table_rows(published, key, d, plan.categories(d))))
    rows = []
    for heading, members in groupby(categories, key=category_group):
        rows.append(Row(heading, css="group"))
        rows += [Row(AVERAGE_LABELS.get(c, c), [look.cell(col[:3], c, col[3]) for col in columns],
                     "average" if c in AVERAGES else "") for c in members]
    return DisplayTable(key, spec["title"], "Category", header_rows(columns, _column_labelers(spec, demo)),
                        rows, len(columns) + 1)


def summary_table(key: str, spec: dict, plan: Plan, cells: pd.DataFrame,
                  published: pd.DataFrame, demo: bool) -> DisplayTable:
    """Tables 3–7: method rows, (dataset, setting, metric) columns, mean over categories."""
    look = _Lookup(key, cells, published)
    columns = _keys(spec)
    entries = list(dict.fromkeys(m for k in columns for m in look.baselines(k))) + ["paper", "ours", "delta"]
    labelers = _column_labelers(spec, demo)
    rows = [Row(labelers[3](e), [look.cell(k, "mean", e) for k in columns],
                "measured" if e in ("ours", "delta") else "") for e in entries]
    return DisplayTable(key, spec["title"], "Method", header_rows(columns, labelers), rows, len(columns) + 1)


def paper_table(key: str, spec: dict, plan: Plan, cells: pd.DataFrame,
                published: pd.DataFrame, demo: bool) -> DisplayTable:
    """The display of one declared table, per-category or summary as in the paper; ``demo``
    labels the measured columns DEMO."""
    per_category = any(len(table_rows(published, key, d, [])) > 1 for d in spec["datasets"])
    build = per_category_table if per_category else summary_table
    return build(key, spec, plan, cells, published, demo)


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
            row.append(Cell(text, role if c["n_seeds"] else "missing", f"{c['n_seeds']} seeds"))
        rows.append(Row(AVERAGE_LABELS.get(category, category), row, "average" if category in AVERAGES else ""))
    labelers = [lambda m: METRIC_LABELS.get(m, m), lambda r: names[r]]
    return DisplayTable(comparison.key, comparison.title, "Category", header_rows(columns, labelers),
                        rows, len(columns) + 1)


def frame_table(key: str, title: str, frame: pd.DataFrame, index: str) -> DisplayTable:
    """A plain DataFrame as a display table: ``index`` column as row labels, the rest as cells."""
    columns = [c for c in frame.columns if c != index]
    def text(value) -> str:
        if isinstance(value, float):
            return MISSING if np.isnan(value) else f"{value:.2f}"
        return str(value)

    rows = [Row(str(r[index]), [Cell(text(v)) for v in r[columns]]) for _, r in frame.iterrows()]
    return DisplayTable(key, title, index, [[HeaderCell(str(c)) for c in columns]], rows, len(columns) + 1)
