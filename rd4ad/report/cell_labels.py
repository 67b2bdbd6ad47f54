"""The tidy labels of the table cells: which printed column (dataset, setting, metric) a cell sits in, the
row and column a reader sees (the same on the page and in the exports), and the paper's own inconsistencies
noted on the printed cells they concern."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from rd4ad.planning.plan import Plan
from rd4ad.published.consistency import average_mismatches, cross_table_cells
from rd4ad.published.metrics import label
from rd4ad.published.tables import TableSpec
from rd4ad.report.aggregate import printed_metric
from rd4ad.report.display import DATASET_LABELS, category_label, fmt


class Column(NamedTuple):
    """A printed column of a paper table (before its entries)."""

    dataset: str
    setting: str
    metric: str  # the printed metric (``pro`` for both PRO measures)


def columns_of(spec: TableSpec) -> list[Column]:
    """Every printed column of ``spec``, in printed order."""
    return [Column(d, s.key, m) for s in spec.settings for d in spec.datasets for m in spec.metrics]


def labelers(spec: TableSpec) -> list:
    """Header text of a column's dataset, setting and metric."""
    return [lambda d: DATASET_LABELS.get(d, d), lambda s: spec.setting(s).label, label]


def _joined(spec: TableSpec, column: Column, fields: list[int]) -> str:
    label_of = labelers(spec)
    return " · ".join(text for i in fields if (text := label_of[i](column[i])))


def label_cells(plan: Plan, cells: pd.DataFrame) -> pd.DataFrame:
    """``cells`` with the tidy ``row`` and ``column`` labels a reader sees: per-category tables
    (1, 2, supplement 2) row = category, column = the varying (dataset, setting, metric) labels;
    summary tables (3–7) row = the varying (dataset, setting) labels, column = the metric."""
    rows, columns = pd.Series("", index=cells.index), pd.Series("", index=cells.index)
    for key, spec in plan.tables.items():
        in_table = cells["table"] == key
        varying = [i for i in range(3) if len({column[i] for column in columns_of(spec)}) > 1]
        table_cells = cells[in_table]
        printed = [
            Column(*k)
            for k in zip(table_cells["dataset"], table_cells["setting"], table_cells["metric"].map(printed_metric))
        ]
        if spec.layout == "categories":
            rows[in_table] = table_cells["category"].map(category_label)
            columns[in_table] = [_joined(spec, c, varying or [2]) for c in printed]
        else:
            row_fields = [i for i in varying if i < 2]
            rows[in_table] = [
                _joined(spec, c, row_fields) or _joined(spec, c, [1]) or _joined(spec, c, [0]) for c in printed
            ]
            columns[in_table] = [_joined(spec, c, [2]) for c in printed]
    return cells.assign(row=rows, column=columns)


def published_notes(published: pd.DataFrame, names: dict[str, str]) -> dict[tuple, str]:
    """Paper-internal inconsistencies by printed cell (table, method, dataset, setting, metric,
    category): the other table's value for the same run (``cross_table_cells``), or the mean of
    the cells a printed average summarises (``average_mismatches``). ``names``: table → its name."""
    notes: dict[tuple, list[str]] = {}
    for r in cross_table_cells(published).itertuples():
        notes.setdefault((r.table, r.method, r.dataset, r.setting, r.metric, r.category), []).append(
            f"{names.get(r.other_table, r.other_table)} prints {fmt(r.other_value, r.metric)} for the same run"
        )
    for r in average_mismatches(published).itertuples():
        notes.setdefault((r.table, r.method, r.dataset, r.setting, r.metric, r.category), []).append(
            f"the mean of the {r.n_cells} cells it summarises is {r.recomputed:.2f}"
        )
    return {key: "; ".join(texts) for key, texts in notes.items()}
