"""Paper-internal consistency of the published numbers.

Two checks on the rows of ``paper.csv``: a printed average against the mean of the
per-category cells it summarises (Tables 1, 2 and supplement Table 2), and the same
quantity printed in two tables with different values (e.g. the headline run of
Tables 1/2 in Tables 3, 5, 6 and 7; Table 4 against supplement Table 2).
"""

from __future__ import annotations

import pandas as pd

from rd4ad.published import AVERAGES, OBJECTS, SPECS, TABLES, TEXTURES
from rd4ad.scoring import HEADLINE

_GROUP = ["table", "method", "setting", "dataset", "metric"]
_GROUP_OF_CATEGORY = {**{c: "textures" for c in TEXTURES}, **{c: "objects" for c in OBJECTS}}
_EPS = 1e-9


def same_run() -> dict[tuple[str, str], str]:
    """(table, setting) → the run it reports, as config/tables.yaml declares it: the variant, plus the
    level subset when it is not the headline (Eq. 3 with all levels). Rows mapped to the same run,
    method, dataset, category and metric are one quantity printed twice."""
    runs = {}
    for table in TABLES:
        for setting in SPECS[table].settings:
            level = setting.level or HEADLINE
            runs[table, setting.key] = setting.variant + ("" if level == HEADLINE else f" {level}")
    return runs


def average_mismatches(df: pd.DataFrame, tol: float = 0.05) -> pd.DataFrame:
    """Printed averages (textures / objects / mean) further than ``tol`` from the mean
    of their per-category cells in the same table, method, setting, dataset and metric."""
    cells = df[~df["category"].isin(AVERAGES)]
    members = pd.concat(
        [
            cells.assign(category=cells["category"].map(_GROUP_OF_CATEGORY)).dropna(subset=["category"]),
            cells.assign(category="mean"),
        ]
    )
    recomputed = members.groupby(_GROUP + ["category"], as_index=False)["value"].agg(recomputed="mean", n_cells="size")
    printed = df[df["category"].isin(AVERAGES)].rename(columns={"value": "printed"})
    merged = printed.merge(recomputed, on=_GROUP + ["category"], how="inner")
    off = (merged["printed"] - merged["recomputed"]).abs() > tol + _EPS
    columns = _GROUP + ["category", "printed", "recomputed", "n_cells"]
    return merged.loc[off, columns].reset_index(drop=True)


def cross_table_mismatches(df: pd.DataFrame) -> pd.DataFrame:
    """Pairs of tables printing different values for the same run, method, dataset,
    category and metric (``same_run`` says which settings are the same run)."""
    runs = same_run()
    run = pd.Series([runs.get(key) for key in zip(df["table"], df["setting"])], index=df.index, dtype=object)
    rows = df.assign(run=run, rank=df["table"].map(TABLES.index)).dropna(subset=["run"])
    on = ["method", "run", "dataset", "category", "metric"]
    pairs = rows.merge(rows, on=on, suffixes=("_a", "_b"))
    pairs = pairs[(pairs["rank_a"] < pairs["rank_b"]) & (pairs["value_a"] != pairs["value_b"])]
    columns = on + ["table_a", "value_a", "table_b", "value_b"]
    return pairs.sort_values(["rank_a", "rank_b"] + on)[columns].reset_index(drop=True)


def cross_table_cells(df: pd.DataFrame) -> pd.DataFrame:
    """``cross_table_mismatches`` one row per printed cell: the cell (table, method, setting, dataset,
    category, metric) and the other table's value for the same quantity."""
    settings = {(table, run): setting for (table, setting), run in same_run().items()}
    pairs = cross_table_mismatches(df)
    sides = []
    for this, other in (("a", "b"), ("b", "a")):
        side = pairs.rename(
            columns={f"table_{this}": "table", f"table_{other}": "other_table", f"value_{other}": "other_value"}
        )
        side["setting"] = [settings[table, run] for table, run in zip(side["table"], side["run"])]
        sides.append(
            side[["table", "method", "setting", "dataset", "category", "metric", "other_table", "other_value"]]
        )
    return pd.concat(sides, ignore_index=True)
