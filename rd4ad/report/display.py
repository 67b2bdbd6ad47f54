"""Cells → display tables laid out like the paper (header rows with spans, grouped rows).

Three layouts, as the paper prints its tables (``TableSpec.layout``, declared in config/tables.yaml): ``categories`` (Tables 1, 2,
supplement Table 2): category rows in printed order, columns (dataset, setting, metric) ×
(published baselines, RD4AD as printed, ours, Δ); ``methods`` (Tables 3, 4): rows = baselines,
RD4AD as printed, ours, Δ, columns (dataset, setting, metric); ``metrics`` (Tables 5–7): rows
grouped by metric, columns the settings. Settings, baselines and rows follow the printed order
(config/tables.yaml, ``rd4ad.published.ROWS``). A printed PRO gets both measured definitions,
the counted one first. Measured and published cells carry their tidy labels (``label_cells``:
row, column, metric) as data attributes; the exports use the same labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

import numpy as np
import pandas as pd

from rd4ad.planning.plan import Plan
from rd4ad.published import AVERAGES, CLASS_IDS, METHODS, OBJECTS, PAPER_METHOD, TEXTURES
from rd4ad.published.metrics import REGISTRY, label
from rd4ad.published.tables import TableSpec
from rd4ad.published.consistency import average_mismatches, cross_table_cells
from rd4ad.report.aggregate import CELL_KEY, measures, printed_metric, table_rows
from rd4ad.report.audit import ROLES, AuditComparison

DATASET_LABELS = {"mvtec": "MVTec AD", "mnist": "MNIST", "fmnist": "F-MNIST", "cifar10": "CIFAR-10",
                  "caltech256": "Caltech-256"}
AVERAGE_LABELS = {"textures": "Textures (avg)", "objects": "Objects (avg)", "mean": "Mean"}
ROW_GROUPS = ((TEXTURES + ("textures",), "Textures"), (OBJECTS + ("objects",), "Objects"),
              (CLASS_IDS, "Classes"), (("mean",), ""))
EXTRA_GROUP = "Not in the paper (this configuration)"
COLUMN_LABELS = {  # headers of the plain frame tables (summary, consistency)
    "n_compared": "compared cells", "mean_delta": "mean Δ (pp)", "mean_abs_delta": "mean |Δ| (pp)",
    "done": "runs done", "expected": "runs planned", "printed": "printed", "recomputed": "mean of its cells",
    "n_cells": "cells", "table_a": "table", "value_a": "printed", "table_b": "other table",
    "value_b": "printed there", "median_spread": "median seed sd (pp)", "seeds_needed": "seeds for ±0.5 pp",
    "single_run_floor": "single-run floor (pp)"}
VERDICT_MARKS = {"consistent": "≈", "below": "↓", "above": "↑", "undetermined": "?"}
DECIMALS = {"memory_mb": 0}
MISSING = "–"
NOTE_MARK = "†"


@dataclass(frozen=True)
class Cell:
    text: str
    css: str = ""
    title: str = ""
    data: dict = field(default_factory=dict)   # data-* attributes: tidy labels and entry
    note: str = ""                              # a paper-internal inconsistency, shown as a marker


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
    return [[HeaderCell(labelers[i](prefix[-1]), len(list(span)))
             for prefix, span in groupby(columns, key=lambda c, i=i: c[:i + 1])] for i in shown]


def _key_labelers(spec: TableSpec) -> list:
    return [lambda d: DATASET_LABELS.get(d, d), lambda s: spec.setting(s).label,
            label]


def _keys(spec: TableSpec) -> list[tuple]:
    """(dataset, setting, printed metric) of every published column, in printed order."""
    return [(d, s.key, m) for s in spec.settings for d in spec.datasets for m in spec.metrics]


def _joined(spec: TableSpec, key: tuple, levels: list[int]) -> str:
    labelers = _key_labelers(spec)
    return " · ".join(text for i in levels if (text := labelers[i](key[i])))


def label_cells(plan: Plan, cells: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """``cells`` with the tidy ``row`` and ``column`` labels a reader sees: per-category tables
    (1, 2, supplement 2) row = category, column = the varying (dataset, setting, metric) labels;
    summary tables (3–7) row = the varying (dataset, setting) labels, column = the metric."""
    rows, columns = pd.Series("", index=cells.index), pd.Series("", index=cells.index)
    for key, spec in plan.tables.items():
        mine = cells["table"] == key
        keys = _keys(spec)
        varying = [i for i in range(3) if len({k[i] for k in keys}) > 1]
        chosen = cells[mine]
        printed = list(zip(chosen["dataset"], chosen["setting"], chosen["metric"].map(printed_metric)))
        if spec.layout == "categories":
            rows[mine] = chosen["category"].map(category_label)
            columns[mine] = [_joined(spec, k, varying or [2]) for k in printed]
        else:
            where = [i for i in varying if i < 2]
            rows[mine] = [_joined(spec, k, where) or _joined(spec, k, [1]) or _joined(spec, k, [0])
                          for k in printed]
            columns[mine] = [_joined(spec, k, [2]) for k in printed]
    return cells.assign(row=rows, column=columns)


def published_notes(published: pd.DataFrame, names: dict[str, str]) -> dict[tuple, str]:
    """Paper-internal inconsistencies by printed cell (table, method, dataset, setting, metric,
    category): the other table's value for the same run (``cross_table_cells``), or the mean of
    the cells a printed average summarises (``average_mismatches``). ``names``: table → its name."""
    notes: dict[tuple, list[str]] = {}
    for r in cross_table_cells(published).itertuples():
        notes.setdefault((r.table, r.method, r.dataset, r.setting, r.metric, r.category), []).append(
            f"{names.get(r.other_table, r.other_table)} prints {fmt(r.other_value, r.metric)} for the same run")
    for r in average_mismatches(published).itertuples():
        notes.setdefault((r.table, r.method, r.dataset, r.setting, r.metric, r.category), []).append(
            f"the mean of the {r.n_cells} cells it summarises is {r.recomputed:.2f}")
    return {key: "; ".join(texts) for key, texts in notes.items()}


class _Lookup:
    """Published values and measured cells of one table, addressed by column key and category."""

    def __init__(self, table: str, cells: pd.DataFrame, published: pd.DataFrame, notes: dict[tuple, str],
                 pro_reproduction: str):
        rows = published[published["table"] == table]
        self.cells = cells[cells["table"] == table].set_index(CELL_KEY)
        self.published = rows.set_index(CELL_KEY + ["method"])["value"]
        self.printed = set(zip(rows["dataset"], rows["setting"], rows["metric"], rows["method"]))
        self.table, self.notes, self.pro_reproduction = table, notes, pro_reproduction

    def baselines(self, keys: list[tuple]) -> list[str]:
        """Published methods other than RD4AD printed in any of ``keys``, in the paper's order."""
        return [m for m in METHODS.get(self.table, ()) if m != PAPER_METHOD
                and any(k + (m,) in self.printed for k in keys)]

    def measures(self, metric: str) -> tuple[str, ...]:
        return measures(metric, self.pro_reproduction)

    def labels(self, key: tuple, category: str) -> dict[str, str]:
        """The tidy row / column labels of a cell (those of its first measure), or none."""
        dataset, setting, metric = key
        idx = (self.table, dataset, setting, self.measures(metric)[0], category)
        return {k: self.cells.loc[idx, k] for k in ("row", "column")} if idx in self.cells.index else {}

    def published_cell(self, key: tuple, category: str, method: str) -> Cell:
        dataset, setting, metric = key
        value = self.published.get((self.table, dataset, setting, metric, category, method), np.nan)
        note = self.notes.get((self.table, method, dataset, setting, metric, category), "")
        own = method == PAPER_METHOD
        data = {"entry": "paper" if own else method, "metric": metric, **self.labels(key, category)}
        return Cell(fmt(value, metric), "paper" if own else "baseline", note, data, note)

    def measured_cell(self, key: tuple, category: str, entry: str, rank: int) -> Cell:
        """``ours`` or ``delta`` of the ``rank``-th measure of a printed metric (blank if it has none)."""
        dataset, setting, metric = key
        names = self.measures(metric)
        if rank >= len(names):
            return Cell("")
        measure = names[rank]
        idx = (self.table, dataset, setting, measure, category)
        if idx not in self.cells.index:
            return Cell(MISSING)
        c = self.cells.loc[idx]
        data = {"entry": entry, "metric": measure, "row": c["row"], "column": c["column"]}
        counted = "" if c["counted"] else " alt"
        note = self.notes.get((self.table, PAPER_METHOD, dataset, setting, metric, category), "")
        seeds = f"{c['n_seeds']}/{c['n_expected']} seeds, variant {c['variant']}, level {c['level']}"
        if REGISTRY[measure].text:
            seeds += f"; {REGISTRY[measure].text}"
        if entry == "ours":
            text = "missing" if c["status"] == "missing" else fmt(c["mean"], metric, c["std"])
            return Cell(text, f"ours {c['status']}{counted}", seeds + interval_text(c, measure), data)
        tolerance = "" if pd.isna(c["tolerance"]) else f" (tolerance ±{c['tolerance']:g})"
        title = f"{c['status']}{tolerance}" + ("" if c["counted"] else "; not counted (pro_reproduction)")
        title += verdict_text(c, measure)
        title += f"; against {fmt(c['published'], metric)}; {note}" if note else ""
        # the verdict's mark (VERDICT_MARKS) is drawn by the stylesheet after the number, which stays the cell's text
        return Cell(fmt(c["delta"], metric, sign=True), f"delta {c['status']} verdict-{c['verdict'] or 'none'}{counted}",
                    title, data)

    def cell(self, key: tuple, category: str, entry: tuple) -> Cell:
        """``entry``: (method,) for a published value, (``ours`` | ``delta``, rank) for a measured one."""
        if entry[0] in ("ours", "delta"):
            return self.measured_cell(key, category, *entry)
        return self.published_cell(key, category, entry[0])


def verdict_text(c: pd.Series, metric: str) -> str:
    """A cell's verdict for its hover text: the seed prediction interval and where the published value lies."""
    if not c["verdict"]:
        return ""
    if c["verdict"] == "undetermined":
        return "; verdict undetermined: one seed, no seed interval (the tolerance alone decides)"
    interval = f"[{fmt(c['pi_low'], metric)}, {fmt(c['pi_high'], metric)}]"
    where = {"consistent": "inside", "below": "above", "above": "below"}[c["verdict"]]
    return (f"; verdict {c['verdict']}: the published {fmt(c['published'], metric)} lies {where} the "
            f"95 % prediction interval of one more run of ours, {interval} ({c['n_seeds']} seeds)")


def interval_text(c: pd.Series, metric: str) -> str:
    """The runs' test-set bootstrap interval for a cell's hover text (none for averages, other levels)."""
    if pd.isna(c["test_low"]):
        return ""
    return (f"; test-set 95 % interval (bootstrap over test images, mean over seeds): "
            f"[{fmt(c['test_low'], metric)}, {fmt(c['test_high'], metric)}]")


def entry_label(entry: tuple, names: tuple[str, ...], demo: bool) -> str:
    """Header of one entry: a baseline's name, RD4AD (paper), ours / Δ; with the PRO definition
    when ``names`` (the measures of the entry's column) holds two."""
    kind = entry[0]
    if kind == PAPER_METHOD:
        return f"{PAPER_METHOD} (paper)"
    if kind not in ("ours", "delta"):
        return kind
    text = ("ours" if kind == "ours" else "Δ") + (" (DEMO)" if demo else "")
    return f"{text} ({REGISTRY[names[entry[1]]].short})" if len(names) > 1 else text


def _entries(look: _Lookup, keys: list[tuple], printed: bool = True) -> list[tuple]:
    """Entries of a group of column keys: baselines, RD4AD, then ours and Δ per measure; only
    ours per measure for a setting the paper does not print (``published: false``)."""
    ranks = max(len(look.measures(k[2])) for k in keys)
    if not printed:
        return [("ours", rank) for rank in range(ranks)]
    return ([(m,) for m in look.baselines(keys)] + [(PAPER_METHOD,)]
            + [(kind, rank) for rank in range(ranks) for kind in ("ours", "delta")])


def per_category_table(key: str, spec: TableSpec, plan: Plan, look: _Lookup, published: pd.DataFrame,
                       demo: bool) -> DisplayTable:
    """Tables 1, 2, supplement 2: category rows, (dataset, setting, metric, entry) columns."""
    columns = [k + (entry,) for k in _keys(spec)
               for entry in _entries(look, [k], spec.setting(k[1]).published)]
    categories = list(dict.fromkeys(c for d in spec.datasets
                                    for c in table_rows(published, key, d, plan.categories(d))))
    rows = []
    for heading, members in groupby(categories, key=category_group):
        if heading:
            rows.append(Row(heading, css="group"))
        rows += [Row(category_label(c), [look.cell(col[:3], c, col[3]) for col in columns],
                     "average" if c in AVERAGES else "") for c in members]
    labelers = _key_labelers(spec) + [
        lambda i: entry_label(columns[i][3], look.measures(columns[i][2]), demo)]
    header = header_rows([c[:3] + (i,) for i, c in enumerate(columns)], labelers)
    return DisplayTable(key, spec.title, "Category", header, rows, len(columns) + 1)


def summary_table(key: str, spec: TableSpec, look: _Lookup, demo: bool, by_metric: bool) -> DisplayTable:
    """Tables 3, 4 (``by_metric`` False: entry rows, (dataset, setting, metric) columns) and
    5–7 (True: entry rows grouped by metric, (dataset, setting) columns); the mean over categories."""
    keys = _keys(spec)
    if by_metric:
        columns = list(dict.fromkeys(k[:2] for k in keys))
        groups = [(label(m), [c + (m,) for c in columns]) for m in spec.metrics]
    else:
        columns, groups = keys, [("", keys)]
    rows = []
    for heading, group in groups:
        if heading:
            rows.append(Row(heading, css="group"))
        named = max((look.measures(k[2]) for k in group), key=len)  # rows of a second measure name it
        for entry in _entries(look, group):
            plain = len({k[2] for k in group}) > 1 and entry[-1] == 0
            rows.append(Row(entry_label(entry, () if plain else named, demo),
                            [look.cell(k, "mean", entry) for k in group],
                            "measured" if entry[0] in ("ours", "delta") else ""))
    return DisplayTable(key, spec.title, "Metric" if by_metric else "Method",
                        header_rows(columns, _key_labelers(spec)), rows, len(columns) + 1)


def paper_table(key: str, spec: TableSpec, plan: Plan, cells: pd.DataFrame, published: pd.DataFrame,
                demo: bool, notes: dict[tuple, str]) -> DisplayTable:
    """The display of one declared table in its paper layout; ``cells`` labelled (``label_cells``),
    ``notes`` from ``published_notes``; ``demo`` labels the measured entries DEMO."""
    look = _Lookup(key, cells, published, notes, plan.pro_reproduction)
    if spec.layout == "categories":
        return per_category_table(key, spec, plan, look, published, demo)
    return summary_table(key, spec, look, demo, by_metric=spec.layout == "metrics")


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
        rows.append(Row(category_label(category), row, "average" if category in AVERAGES else ""))
    labelers = [label, lambda r: names[r]]
    return DisplayTable(comparison.key, comparison.title, "Category", header_rows(columns, labelers),
                        rows, len(columns) + 1)


def frame_table(key: str, title: str, frame: pd.DataFrame, index: str) -> DisplayTable:
    """A plain DataFrame as a display table: ``index`` column as row labels, the rest as cells,
    headers from ``COLUMN_LABELS``."""
    columns = [c for c in frame.columns if c != index]

    def text(value) -> str:
        if isinstance(value, float):
            return MISSING if np.isnan(value) else f"{value:.2f}"
        return str(value)

    rows = [Row(str(r[index]), [Cell(text(v)) for v in r[columns]]) for _, r in frame.iterrows()]
    return DisplayTable(key, title, COLUMN_LABELS.get(index, index),
                        [[HeaderCell(COLUMN_LABELS.get(str(c), str(c))) for c in columns]], rows, len(columns) + 1)
