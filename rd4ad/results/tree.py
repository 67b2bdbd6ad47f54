"""Read a results tree (rd4ad/contract/layout.py, docs/architecture.md "Run folder") into tidy pandas frames.

Run folders are ``<results>/<dataset>/<category>/<variant>/seed<k>/``; the dataset key is
the role of the run configuration (``mvtec``, ``mnist`` …), whatever data fills it.
Values stay as written (fractions); the report converts to percent. Every value is checked as
it is read (a metric is null or a finite fraction in [0, 1]; a timing finite and >= 0), and an
unreadable or malformed file is an ``RD4ADError`` naming it and the key.
"""

from __future__ import annotations

import dataclasses
import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from rd4ad.contract.layout import RunFolder, RunKey, complexity_files, run_files
from rd4ad.files.errors import RD4ADError
from rd4ad.files.io import read_mapping
from rd4ad.machine.device_record import describe
from rd4ad.published.metrics import COMPLEXITY_METRICS, INTERVAL_METRICS, REGISTRY

RUN_KEYS = [f.name for f in dataclasses.fields(RunKey)]
RUN_COLUMNS = ["run"] + RUN_KEYS + ["level", "metric", "value", "headline", "demo", "device"]
INTERVAL_COLUMNS = RUN_KEYS + ["level", "metric", "low", "high"]
ANOMALIB_COLUMNS = RUN_KEYS + ["metric", "value", "version"]
COMPLEXITY_COLUMNS = ["dataset", "variant", "metric", "value", "device", "processor", "memory_measure"]
PROCESSORS = ("cpu", "gpu")  # the CPU figures are compared with the paper's (Intel i7); the GPU's are shown
EXAMPLE_KEYS = ("images", "masks", "maps", "names")
REEVALUATE = "delete it and re-run python -m rd4ad evaluate (or snakemake)"


def _read_json(path: Path) -> dict:
    return read_mapping(path, "delete it and re-run the step that writes it")


def checked_value(path: Path, key: str, value, low: float = 0.0, high: float = 1.0) -> float:
    """``value`` as a float (NaN for null) when it is a finite number in [low, high]; else an ``RD4ADError``."""
    if value is None:
        return np.nan
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise RD4ADError(f"{path}: {key} = {value!r} is not a number in [{low:g}, {high:g}] (or null); {REEVALUATE}")
    return float(value)


def run_device(data: dict) -> str:
    """What trained a run, from its ``metrics.json``: the GPU with its driver, CUDA, cuDNN and determinism, or
    the device's type for runs recorded before (or on the CPU)."""
    trained = (data.get("hardware") or {}).get("train")
    return describe(trained) if trained else str(data.get("device", "unknown"))


def collect_runs(results: str | Path) -> pd.DataFrame:
    """Every metric of every level subset of every ``metrics.json``: one row per value (NaN for a
    metric the dataset has none of, ``null`` in the file; any other value not in [0, 1], or [0, the
    metric's ``at_most``], is an error)."""
    rows = []
    for key, path in run_files(results, "metrics"):
        data = _read_json(path)
        if not isinstance(data.get("levels"), dict) or "headline" not in data:
            raise RD4ADError(
                f"{path}: needs 'levels' and 'headline' (docs/architecture.md); re-run python -m rd4ad evaluate"
            )
        for level, metrics in data["levels"].items():
            if not isinstance(metrics, dict):
                raise RD4ADError(f"{path}: levels.{level} is not an object of metrics; {REEVALUATE}")
            for metric, value in metrics.items():
                rows.append(
                    {
                        "run": str(key),
                        **dataclasses.asdict(key),
                        "level": level,
                        "metric": metric,
                        "value": checked_value(
                            path,
                            f"levels.{level}.{metric}",
                            value,
                            high=REGISTRY[metric].at_most if metric in REGISTRY else 1.0,
                        ),
                        "headline": str(data["headline"]),
                        "demo": bool(data.get("demo", False)),
                        "device": run_device(data),
                    }
                )
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def collect_anomaly_kinds(results: str | Path) -> pd.DataFrame:
    """The per-kind metrics of every ``metrics.json`` that has them (``anomaly_kinds``: MVTec LOCO's logical
    and structural anomalies, each with the good test images) as :func:`collect_runs` rows whose ``level``
    is the kind."""
    rows = []
    for key, path in run_files(results, "metrics"):
        data = _read_json(path)
        kinds = data.get("anomaly_kinds") or {}
        if not isinstance(kinds, dict) or not all(isinstance(m, dict) for m in kinds.values()):
            raise RD4ADError(f"{path}: anomaly_kinds is not an object of metrics per kind; {REEVALUATE}")
        for kind, metrics in kinds.items():
            for metric, value in metrics.items():
                rows.append(
                    {
                        "run": str(key),
                        **dataclasses.asdict(key),
                        "level": kind,
                        "metric": metric,
                        "value": checked_value(path, f"anomaly_kinds.{kind}.{metric}", value),
                        "headline": str(data.get("headline", "")),
                        "demo": bool(data.get("demo", False)),
                        "device": run_device(data),
                    }
                )
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def collect_anomalib_metrics(results: str | Path) -> pd.DataFrame:
    """anomalib's own metric values and release, from every ``metrics.json`` of an ``implementation:
    anomalib`` run (its ``anomalib`` entry)."""
    rows = []
    for key, path in run_files(results, "metrics"):
        own = _read_json(path).get("anomalib")
        if not isinstance(own, dict):
            continue
        for metric, value in own.get("metrics", {}).items():
            rows.append(
                {
                    **dataclasses.asdict(key),
                    "metric": metric,
                    "version": str(own.get("version")),
                    "value": checked_value(path, f"anomalib.metrics.{metric}", value),
                }
            )
    return pd.DataFrame(rows, columns=ANOMALIB_COLUMNS)


def collect_intervals(results: str | Path) -> pd.DataFrame:
    """The test-set intervals of every ``metrics.json`` that has them (``intervals``: a level subset
    and [low, high] fractions per metric): one row per run and metric."""
    rows = []
    for key, path in run_files(results, "metrics"):
        intervals = _read_json(path).get("intervals")
        if intervals is None:
            continue
        if not isinstance(intervals, dict) or not isinstance(intervals.get("level"), str):
            raise RD4ADError(f"{path}: 'intervals' needs a 'level' and [low, high] per metric; {REEVALUATE}")
        for metric in INTERVAL_METRICS:
            bounds = intervals.get(metric)
            if bounds is None:
                continue
            if not (isinstance(bounds, list) and len(bounds) == 2):
                raise RD4ADError(f"{path}: intervals.{metric} = {bounds!r} is not [low, high]; {REEVALUATE}")
            low, high = (checked_value(path, f"intervals.{metric}", b) for b in bounds)
            rows.append(
                {**dataclasses.asdict(key), "level": intervals["level"], "metric": metric, "low": low, "high": high}
            )
    return pd.DataFrame(rows, columns=INTERVAL_COLUMNS)


def collect_numerics(results: str | Path) -> list[dict]:
    """The CPU numerics records (``rd4ad.machine.numerics``) of every run's training and evaluation."""
    records = []
    for _, path in run_files(results, "metrics"):
        numerics = _read_json(path).get("numerics") or {}
        records += [r for r in (numerics.get("train"), numerics.get("evaluate")) if r]
    return records


def collect_inputs(results: str | Path, fields: tuple[str, ...]) -> pd.DataFrame:
    """The input digests (``rd4ad.contract.fingerprints``) of every run that recorded them, with the run's
    ``fields`` (its ``RunConfig`` values; a mapping as sorted JSON text) beside them."""
    rows = []
    for key, path in run_files(results, "metrics"):
        data = _read_json(path)
        inputs, run = data.get("inputs"), data.get("run") or {}
        if isinstance(inputs, dict) and inputs:
            rows.append(
                {
                    "run": str(key),
                    **{
                        f: json.dumps(run.get(f), sort_keys=True) if isinstance(run.get(f), dict) else run.get(f)
                        for f in fields
                    },
                    **inputs,
                }
            )
    return pd.DataFrame(rows, columns=["run", *fields, *sorted({k for r in rows for k in r} - {"run", *fields})])


def read_csv(path: Path, **kwargs) -> pd.DataFrame:
    """``pd.read_csv``; an unreadable file is an ``RD4ADError`` naming it."""
    try:
        return pd.read_csv(path, **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as err:
        raise RD4ADError(
            f"{path}: not a readable CSV ({' '.join(str(err).split())[:160]}); delete it and re-run "
            "the step that writes it"
        ) from err


def collect_csv(results: str | Path, name: str) -> pd.DataFrame:
    """One per-run CSV (``loss``, ``audit_epochs``: keys of ``layout.FILES``) of every run, run keys prepended."""
    frames = [
        _numeric(read_csv(path), path).assign(**dataclasses.asdict(key)) for key, path in run_files(results, name)
    ]
    if not frames:
        return pd.DataFrame(columns=RUN_KEYS)
    frame = pd.concat(frames, ignore_index=True)
    return frame[RUN_KEYS + [c for c in frame.columns if c not in RUN_KEYS]]


def _numeric(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``frame`` when every cell is a finite number or empty (a metric the dataset lacks); else an
    ``RD4ADError`` naming the column (a per-epoch log drawn as a curve)."""
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        if (values.isna() & frame[column].notna()).any() or np.isinf(values.to_numpy(dtype=float)).any():
            raise RD4ADError(
                f"{path}: column {column!r} holds a value that is not a finite number; delete the file "
                "and re-run the step that writes it (training writes loss.csv and audit_epochs.csv)"
            )
    return frame


def collect_complexity(results: str | Path) -> pd.DataFrame:
    """Table 3 measurements ``<results>/<dataset>/complexity/<variant>.json``, one row per metric and
    processor: the CPU figures (top level) and, when measured, the GPU's (``gpu``)."""
    rows = []
    for dataset, variant, path in complexity_files(results):
        data = _read_json(path)
        for processor, figures in zip(PROCESSORS, (data, data.get("gpu") or {})):
            for metric in COMPLEXITY_METRICS:
                if figures.get(metric) is not None:
                    rows.append(
                        {
                            "dataset": dataset,
                            "variant": variant,
                            "metric": metric,
                            "value": checked_value(path, metric, figures[metric], high=math.inf),
                            "device": str(figures.get("device", "unknown")),
                            "processor": processor,
                            "memory_measure": str(figures.get("memory_measure", "")),
                        }
                    )
    return pd.DataFrame(rows, columns=COMPLEXITY_COLUMNS)


def read_scores(folder: RunFolder) -> pd.DataFrame | None:
    """``scores.csv`` of one run, or None when the run has none."""
    path = folder.scores
    if not path.is_file():
        return None
    scores = read_csv(path, dtype={"name": str, "defect": str})
    if "label" not in scores:
        raise RD4ADError(f"{path}: has no 'label' column; {REEVALUATE}")
    return scores


def read_examples(folder: RunFolder) -> dict[str, np.ndarray] | None:
    """``examples.npz`` of one run (images, masks, maps, names), or None when absent."""
    path = folder.examples
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            examples = {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise RD4ADError(
            f"{path}: unreadable (not an .npz archive of arrays: {type(err).__name__}); {REEVALUATE}"
        ) from err
    missing = [key for key in EXAMPLE_KEYS if key not in examples]
    images = examples.get("images")
    fits = (
        not missing
        and images.ndim == 4
        and examples["names"].shape == (len(images),)
        and all(examples[key].shape == (len(images), *images.shape[2:]) for key in ("masks", "maps"))
    )
    if not fits:
        raise RD4ADError(
            f"{path}: needs {', '.join(EXAMPLE_KEYS)} of matching shapes (N,3,S,S), (N,S,S), "
            f"(N,S,S), (N,){f'; missing {missing}' if missing else ''}; {REEVALUATE}"
        )
    return examples
