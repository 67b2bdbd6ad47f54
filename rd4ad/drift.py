"""Drift check for CI: every metric of a results tree against a committed baseline.

The baseline is JSON ``{"format": 1, "values": {"<dataset>/<category>/<variant>/seed<k>/<level>/<metric>": value}}``
with values as in ``metrics.json`` (fractions, null for metrics a dataset has none of).
Drift is reported in percentage points, the unit of the paper's tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from rd4ad.errors import RD4ADError
from rd4ad.io import atomic_write_json
from rd4ad.report.results import collect_runs

FORMAT = 1
FAILING = ("DRIFT", "missing")
_EPS_PP = 1e-9


def metric_values(results: str | Path) -> pd.Series:
    """Every metric of every run under ``results``, keyed by run / level / metric (NaN for null)."""
    runs = collect_runs(results)
    if runs.empty:
        raise RD4ADError(f"{results}: no <dataset>/<category>/<variant>/seed<k>/metrics.json found; "
                         "run the workflow (or pass the right --results folder) first")
    keys = runs["run"] + "/" + runs["level"] + "/" + runs["metric"]
    return pd.Series(runs["value"].to_numpy(), index=keys, name="value").sort_index()


def write_baseline(path: str | Path, results: str | Path) -> Path:
    """Freeze the metrics of ``results`` as the baseline file ``path``."""
    values = metric_values(results)
    return atomic_write_json(path, {"format": FORMAT, "values": {k: None if np.isnan(v) else v
                                                                  for k, v in values.items()}})


def load_baseline(path: str | Path) -> pd.Series:
    """The values of a baseline file (NaN for null)."""
    path = Path(path)
    if not path.is_file():
        raise RD4ADError(f"{path}: no baseline; create it with python -m rd4ad drift --write-baseline {path} "
                         "--results DIR")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise RD4ADError(f"{path}: not valid JSON ({err}); regenerate it with --write-baseline") from err
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("values"), dict):
        raise RD4ADError(f"{path}: not a drift baseline (format {FORMAT}); regenerate it with --write-baseline")
    return pd.Series({k: np.nan if v is None else float(v) for k, v in data["values"].items()},
                     name="value", dtype=float).sort_index()


def compare(baseline: pd.Series, current: pd.Series, tol_pp: float) -> pd.DataFrame:
    """One row per key: baseline, current, drift (pp) and status — ok / DRIFT (beyond ``tol_pp``
    or null on one side only) / missing (in the baseline, not in the results) / new."""
    both = pd.concat({"baseline": baseline, "current": current}, axis=1)
    both["drift_pp"] = (both["current"] - both["baseline"]) * 100.0
    in_base, in_current = both.index.isin(baseline.index), both.index.isin(current.index)
    null_mismatch = both["baseline"].isna() != both["current"].isna()
    beyond = both["drift_pp"].abs() > tol_pp + _EPS_PP
    both["status"] = np.select([~in_current, ~in_base, null_mismatch | beyond],
                               ["missing", "new", "DRIFT"], "ok")
    return both.rename_axis("key").reset_index()


def drift_report(table: pd.DataFrame, tol_pp: float) -> str:
    """The rows that are not exactly equal, and a summary line."""
    shown = table[(table["status"] != "ok") | (table["drift_pp"].abs() > 0)]
    counts = table["status"].value_counts()
    summary = (f"drift: {len(table)} values, tolerance ±{tol_pp:g} pp: " +
               ", ".join(f"{counts.get(s, 0)} {s}" for s in ("ok", "DRIFT", "missing", "new")))
    body = shown.to_string(index=False, float_format=lambda v: f"{v:.6g}") if len(shown) else "no differences"
    return f"{body}\n{summary}"


def drift_failed(table: pd.DataFrame) -> bool:
    """True when any value drifted past tolerance or disappeared."""
    return bool(table["status"].isin(FAILING).any())
