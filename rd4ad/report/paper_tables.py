"""The paper's tables as display tables, laid out as the paper prints them.

Three layouts (``TableSpec.layout``, declared in config/tables.yaml): ``categories`` (Tables 1, 2,
supplement Table 2): category rows in printed order, one column per (dataset, setting, metric) ×
entry; ``methods`` (Tables 3, 4): one row per entry, columns (dataset, setting, metric); ``metrics``
(Tables 5–7): entry rows grouped by metric, columns the (dataset, setting) pairs. The entries of a
column are the published baselines, RD4AD as printed, then ours and Δ per measure of the printed
metric (a printed PRO gets both measured definitions, the counted one first); demo data has no Δ
(never compared with a published number: ``NOT_COMPARABLE`` says why). Settings, baselines and
rows follow the printed order (config/tables.yaml, ``rd4ad.published.ROWS``). Measured and published
cells carry their tidy labels (rd4ad/report/cell_labels.py: row, column, metric) as data attributes; the exports
use the same labels.
"""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from rd4ad.published import AVERAGES, METHODS, PAPER_METHOD
from rd4ad.published.metrics import REGISTRY, label
from rd4ad.published.tables import TableSpec
from rd4ad.report.aggregate import CELL_KEY, INCOMPARABLE, measures, table_rows
from rd4ad.report.cell_labels import Column, columns_of, labelers
from rd4ad.report.display import MISSING, Cell, DisplayTable, Row, category_group, category_label, fmt, header_rows

if TYPE_CHECKING:
    from rd4ad.report.collect import ReportInputs

MEASURED = ("ours", "delta")
NOT_COMPARABLE = "demo data: not comparable with the published value (synthetic images, demo-sized models)"


class Entry(NamedTuple):
    """What a cell of a column shows: a published method's value, or ours / Δ of one measure."""

    kind: str  # a baseline's name, PAPER_METHOD (RD4AD as printed), "ours" or "delta"
    rank: int = 0  # the measure of the printed metric, 0 the counted one (ours and Δ only)

    @property
    def measured(self) -> bool:
        return self.kind in MEASURED


def verdict_text(c: pd.Series, metric: str) -> str:
    """A cell's verdict for its hover text: the seed prediction interval and where the published value lies."""
    if not c["verdict"]:
        return ""
    if c["verdict"] == "undetermined":
        return "; verdict undetermined: one seed, no seed interval (the tolerance alone decides)"
    interval = f"[{fmt(c['pi_low'], metric)}, {fmt(c['pi_high'], metric)}]"
    where = {"consistent": "inside", "below": "above", "above": "below"}[c["verdict"]]
    return (
        f"; verdict {c['verdict']}: the published {fmt(c['published'], metric)} lies {where} the "
        f"95 % prediction interval of one more run of ours, {interval} ({c['n_seeds']} seeds)"
    )


def interval_text(c: pd.Series, metric: str) -> str:
    """The runs' test-set bootstrap interval for a cell's hover text (none for averages, other levels)."""
    if pd.isna(c["test_low"]):
        return ""
    return (
        f"; test-set 95 % interval (bootstrap over test images, mean over seeds): "
        f"[{fmt(c['test_low'], metric)}, {fmt(c['test_high'], metric)}]"
    )


class TableCells:
    """The published values and measured cells of one table, addressed by column and category."""

    def __init__(self, table: str, inputs: ReportInputs):
        rows = inputs.published[inputs.published["table"] == table]
        self.cells = inputs.cells[inputs.cells["table"] == table].set_index(CELL_KEY)
        self.published = rows.set_index(CELL_KEY + ["method"])["value"]
        self.printed = set(zip(rows["dataset"], rows["setting"], rows["metric"], rows["method"]))
        self.table, self.notes, self.pro_reproduction = table, inputs.notes, inputs.plan.pro_reproduction
        self.comparable = not inputs.demo

    def baselines(self, columns: list[Column]) -> list[str]:
        """Published methods other than RD4AD printed in any of ``columns``, in the paper's order."""
        return [
            m
            for m in METHODS.get(self.table, ())
            if m != PAPER_METHOD and any(c + (m,) in self.printed for c in columns)
        ]

    def measures(self, metric: str) -> tuple[str, ...]:
        return measures(metric, self.pro_reproduction)

    def entries(self, columns: list[Column], printed: bool = True) -> list[Entry]:
        """The entries of a group of columns: baselines, RD4AD, then ours and Δ per measure; only ours per
        measure for a setting the paper does not print (``published: false``); no Δ for demo data."""
        ranks = range(max(len(self.measures(c.metric)) for c in columns))
        if not printed:
            return [Entry("ours", rank) for rank in ranks]
        kinds = MEASURED if self.comparable else ("ours",)
        return (
            [Entry(m) for m in self.baselines(columns)]
            + [Entry(PAPER_METHOD)]
            + [Entry(kind, rank) for rank in ranks for kind in kinds]
        )

    def labels(self, column: Column, category: str) -> dict[str, str]:
        """The tidy row / column labels of a cell (those of its first measure), or none."""
        idx = (self.table, column.dataset, column.setting, self.measures(column.metric)[0], category)
        return {k: self.cells.loc[idx, k] for k in ("row", "column")} if idx in self.cells.index else {}

    def published_cell(self, column: Column, category: str, method: str) -> Cell:
        dataset, setting, metric = column
        value = self.published.get((self.table, dataset, setting, metric, category, method), np.nan)
        note = self.notes.get((self.table, method, dataset, setting, metric, category), "")
        own = method == PAPER_METHOD
        data = {"entry": "paper" if own else method, "metric": metric, **self.labels(column, category)}
        return Cell(fmt(value, metric), "paper" if own else "baseline", title=note, data=data, note=note)

    def measured_cell(self, column: Column, category: str, entry: Entry) -> Cell:
        """Ours or Δ of the entry's measure of the printed metric (blank if the metric has no such measure)."""
        dataset, setting, metric = column
        names = self.measures(metric)
        if entry.rank >= len(names):
            return Cell("")
        measure = names[entry.rank]
        idx = (self.table, dataset, setting, measure, category)
        if idx not in self.cells.index:
            return Cell(MISSING)
        c = self.cells.loc[idx]
        data = {"entry": entry.kind, "metric": measure, "row": c["row"], "column": c["column"]}
        note = self.notes.get((self.table, PAPER_METHOD, dataset, setting, metric, category), "")
        seeds = f"{c['n_seeds']}/{c['n_expected']} seeds, variant {c['variant']}, level {c['level']}"
        if REGISTRY[measure].text:
            seeds += f"; {REGISTRY[measure].text}"
        state = {"status": c["status"], "counted": bool(c["counted"]), "data": data}
        if entry.kind == "ours":
            text = "missing" if c["status"] == "missing" else fmt(c["mean"], metric, c["std"])
            why = f"; {NOT_COMPARABLE}" if c["status"] == INCOMPARABLE else ""
            return Cell(text, "ours", title=seeds + interval_text(c, measure) + why, **state)
        tolerance = "" if pd.isna(c["tolerance"]) else f" (tolerance ±{c['tolerance']:g})"
        title = f"{c['status']}{tolerance}" + ("" if c["counted"] else "; not counted (pro_reproduction)")
        title += verdict_text(c, measure)
        title += f"; against {fmt(c['published'], metric)}; {note}" if note else ""
        # the verdict's mark (VERDICT_MARKS) is drawn by the stylesheet after the number, which stays the cell's text
        return Cell(fmt(c["delta"], metric, sign=True), "delta", verdict=c["verdict"] or "none", title=title, **state)

    def cell(self, column: Column, category: str, entry: Entry) -> Cell:
        if entry.measured:
            return self.measured_cell(column, category, entry)
        return self.published_cell(column, category, entry.kind)


def entry_label(entry: Entry, names: tuple[str, ...], demo: bool) -> str:
    """Header of one entry: a baseline's name, RD4AD (paper), ours / Δ; with the PRO definition
    when ``names`` (the measures of the entry's column) holds two."""
    if entry.kind == PAPER_METHOD:
        return f"{PAPER_METHOD} (paper)"
    if not entry.measured:
        return entry.kind
    text = ("ours" if entry.kind == "ours" else "Δ") + (" (DEMO)" if demo else "")
    return f"{text} ({REGISTRY[names[entry.rank]].short})" if len(names) > 1 else text


def per_category_table(spec: TableSpec, inputs: ReportInputs, table_cells: TableCells) -> DisplayTable:
    """Tables 1, 2, supplement 2: category rows, (dataset, setting, metric, entry) columns."""
    columns = [
        (column, entry)
        for column in columns_of(spec)
        for entry in table_cells.entries([column], spec.setting(column.setting).published)
    ]
    shown = set(table_cells.cells.index.get_level_values("category"))  # a demo: the ones it runs
    categories = list(
        dict.fromkeys(
            c
            for d in spec.datasets
            for c in table_rows(inputs.published, spec.key, d, inputs.plan.categories(d))
            if c in shown
        )
    )
    rows = []
    for heading, members in groupby(categories, key=category_group):
        if heading:
            rows.append(Row(heading, css="group"))
        rows += [
            Row(
                category_label(c),
                [table_cells.cell(column, c, entry) for column, entry in columns],
                "average" if c in AVERAGES else "",
            )
            for c in members
        ]
    header_labelers = labelers(spec) + [
        lambda i: entry_label(columns[i][1], table_cells.measures(columns[i][0].metric), inputs.demo)
    ]
    header = header_rows([column + (i,) for i, (column, _) in enumerate(columns)], header_labelers)
    return DisplayTable(spec.key, spec.title, "Category", header, rows, len(columns) + 1)


def summary_table(spec: TableSpec, inputs: ReportInputs, table_cells: TableCells) -> DisplayTable:
    """Tables 3, 4 (layout ``methods``: entry rows, (dataset, setting, metric) columns) and 5–7 (``metrics``:
    entry rows grouped by metric, (dataset, setting) columns); the mean over categories."""
    if spec.layout == "metrics":
        pairs = list(dict.fromkeys(c[:2] for c in columns_of(spec)))
        header_keys = pairs
        groups = [(label(m), [Column(*p, m) for p in pairs]) for m in spec.metrics]
    else:
        header_keys = columns_of(spec)
        groups = [("", header_keys)]
    rows = []
    for heading, group in groups:
        if heading:
            rows.append(Row(heading, css="group"))
        longest = max((table_cells.measures(c.metric) for c in group), key=len)  # a second measure's rows name it
        several_metrics = len({c.metric for c in group}) > 1
        for entry in table_cells.entries(group):
            names = () if several_metrics and entry.rank == 0 else longest
            rows.append(
                Row(
                    entry_label(entry, names, inputs.demo),
                    [table_cells.cell(column, "mean", entry) for column in group],
                    "measured" if entry.measured else "",
                )
            )
    return DisplayTable(
        spec.key,
        spec.title,
        "Metric" if spec.layout == "metrics" else "Method",
        header_rows(header_keys, labelers(spec)),
        rows,
        len(header_keys) + 1,
    )


def paper_table(spec: TableSpec, inputs: ReportInputs) -> DisplayTable:
    """The display of one declared table in its paper layout (``inputs.cells`` labelled by ``label_cells``)."""
    table_cells = TableCells(spec.key, inputs)
    if spec.layout == "categories":
        return per_category_table(spec, inputs, table_cells)
    return summary_table(spec, inputs, table_cells)
