"""Read a results tree (rd4ad/layout.py, docs/architecture.md "Run folder") into tidy pandas frames.

Run folders are ``<results>/<dataset>/<category>/<variant>/seed<k>/``; the dataset key is
the role of the run configuration (``mvtec``, ``mnist`` …), whatever data fills it.
Values stay as written (fractions); the report converts to percent.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd

from rd4ad.errors import RD4ADError
from rd4ad.layout import RunFolder, RunKey, complexity_files, run_files
from rd4ad.published import COMPLEXITY_METRICS

RUN_KEYS = [f.name for f in dataclasses.fields(RunKey)]
RUN_COLUMNS = ["run"] + RUN_KEYS + ["level", "metric", "value", "headline", "demo", "device"]
COMPLEXITY_COLUMNS = ["dataset", "variant", "metric", "value", "device"]


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RD4ADError(f"{path}: not valid JSON ({err}); delete it and re-run the step that writes it") from err


def collect_runs(results: str | Path) -> pd.DataFrame:
    """Every metric of every level subset of every ``metrics.json``: one row per value."""
    rows = []
    for key, path in run_files(results, "metrics"):
        data = _read_json(path)
        if not isinstance(data.get("levels"), dict) or "headline" not in data:
            raise RD4ADError(f"{path}: needs 'levels' and 'headline' (docs/architecture.md); "
                             "re-run python -m rd4ad evaluate")
        for level, metrics in data["levels"].items():
            for metric, value in metrics.items():
                rows.append({"run": str(key), **dataclasses.asdict(key), "level": level, "metric": metric,
                             "value": np.nan if value is None else float(value),
                             "headline": data["headline"], "demo": bool(data.get("demo", False)),
                             "device": str(data.get("device", "unknown"))})
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def collect_csv(results: str | Path, name: str) -> pd.DataFrame:
    """One per-run CSV (``loss``, ``audit_epochs``: keys of ``layout.FILES``) of every run, run keys prepended."""
    frames = [pd.read_csv(path).assign(**dataclasses.asdict(key)) for key, path in run_files(results, name)]
    if not frames:
        return pd.DataFrame(columns=RUN_KEYS)
    frame = pd.concat(frames, ignore_index=True)
    return frame[RUN_KEYS + [c for c in frame.columns if c not in RUN_KEYS]]


def collect_complexity(results: str | Path) -> pd.DataFrame:
    """Table 3 measurements ``<results>/<dataset>/complexity/<variant>.json``, one row per metric."""
    rows = []
    for dataset, variant, path in complexity_files(results):
        data = _read_json(path)
        for metric in COMPLEXITY_METRICS:
            if data.get(metric) is not None:
                rows.append({"dataset": dataset, "variant": variant, "metric": metric,
                             "value": float(data[metric]), "device": str(data.get("device", "unknown"))})
    return pd.DataFrame(rows, columns=COMPLEXITY_COLUMNS)


def read_scores(folder: RunFolder) -> pd.DataFrame | None:
    """``scores.csv`` of one run, or None when the run has none."""
    path = folder.scores
    return pd.read_csv(path, dtype={"name": str, "defect": str}) if path.is_file() else None


def read_examples(folder: RunFolder) -> dict[str, np.ndarray] | None:
    """``examples.npz`` of one run (images, masks, maps, names), or None when absent."""
    path = folder.examples
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}
