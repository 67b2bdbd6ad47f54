"""Drift check for CI: every metric of a results tree against a committed baseline.

Two kinds of honest noise, two tolerances (percentage points, the unit of the paper's tables):

- **Same numerics environment as the baseline** (torch version, CPU numerics mode, the kernels
  and thread count in force, and the CPU: model and vector ISA — ``rd4ad.machine.numerics``): an
  unchanged code base reproduces the baseline bit for bit, so a value is flagged when it moves by
  more than ``fixed_pp``. The CPU counts under pinned numerics too: pinned runs of one commit have
  given other bits on an AMD EPYC than on an Intel Xeon, so "the same bits on another CPU" is
  something the digests below show, never an assumption.
- **Another environment** (another torch or CPU, native numerics, a GPU): the training
  trajectory may diverge as if reseeded, so a value is flagged when it moves by more than
  ``max(fixed_pp, k × seed spread)``, the seed spread of a metric being its standard deviation
  over the seeds the baseline was made from (same dataset / category / variant / level subset /
  metric).

Whatever the environment, the report names for each run the first stage whose bits differ from
the baseline's (``rd4ad.contract.fingerprints.STAGES``: training split, teacher, student, test
split, maps), so a run on another machine says where it parted.

The baseline file (format 3)::

    {"format": 3,
     "environment": {...},                        # rd4ad.machine.numerics records of the baseline's runs
     "tolerance": {"fixed_pp": 0.5, "k": 3.0},
     "seeds": [0, 1, 2], "reference_seeds": [0],
     "values": {"<dataset>/<category>/<variant>/seed<k>/<level>/<metric>": value | null},
     "spread_pp": {"<dataset>/<category>/<variant>/<level>/<metric>": std | null},
     "digests": {"<dataset>/<category>/<variant>/seed<k>": {"<stage>": sha256 hex, ...}}}

``values`` holds the reference seeds' metrics as in ``metrics.json`` (fractions; ``null`` where
the dataset has no such metric, e.g. pixel AUROC of a novelty set). A metric that could not be
computed (NaN) is an error naming its file, when a baseline is written as when one is checked.

Imports: ``rd4ad.contract`` (the stages, the run folders), ``rd4ad.files``, ``rd4ad.machine``,
``rd4ad.published`` (each metric's range), ``rd4ad.results`` (the results reader, never the planner or
Snakemake), ``rd4ad.statistics`` (the seed spread, the report's too).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from rd4ad.contract.fingerprints import STAGES
from rd4ad.contract.layout import run_files
from rd4ad.files.errors import RD4ADError
from rd4ad.files.io import atomic_write_json, read_mapping
from rd4ad.machine.numerics import ISA_LIMITS, KERNEL_ENV
from rd4ad.published.metrics import REGISTRY
from rd4ad.results.tree import collect_numerics, collect_runs
from rd4ad.statistics.seeds import seed_spread

FORMAT = 3
FIXED_PP = 0.5
K_SPREAD = 3.0
FAILING = ("DRIFT", "missing", "new")
N_LARGEST = 10
N_LISTED = 30  # failing values listed one by one; the others are counted
N_PARTED = 5  # runs named per stage where the bits part
PINNED_IRRELEVANT = tuple(f"env.{k}" for k in ISA_LIMITS)
_DIGEST = re.compile(r"[0-9a-f]{64}")
_SEED_PART = re.compile(r"/seed(-?\d+)/")
_EPS_PP = 1e-9
MAX_FIXED_PP = 100.0  # a metric moves at most 100 pp: a larger fixed tolerance passes everything
MAX_K = 10.0  # more than 10 × the seed spread would pass any plausible regression
REGENERATE = "fix it or regenerate it with python -m rd4ad drift --write-baseline"


def seedless(key: str) -> str:
    """``mvtec/nut/v/seed0/M1/pro`` → ``mvtec/nut/v/M1/pro`` (the key the seed spread is kept under)."""
    return _SEED_PART.sub("/", key, count=1)


def check_tolerance(name: str, value: float) -> float:
    """``value`` if it is a finite number ≥ 0; a clear error naming the option otherwise."""
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise RD4ADError(f"{name} = {value!r}: give a finite number >= 0 (percentage points or a factor)")
    return float(value)


def metric_values(results: str | Path) -> pd.DataFrame:
    """Every metric of every run under ``results``: index key, columns ``value`` (NaN for null) and ``seed``."""
    runs = collect_runs(results)
    if runs.empty:
        raise RD4ADError(
            f"{results}: no <dataset>/<category>/<variant>/seed<k>/metrics.json found; "
            "run the workflow (or pass the right --results folder) first"
        )
    keys = runs["run"] + "/" + runs["level"] + "/" + runs["metric"]
    return runs[["value", "seed"]].set_index(keys.rename("key")).sort_index()


def environment(results: str | Path) -> dict:
    """The CPU numerics of a results tree, one field per record field (``env.<VAR>`` per kernel
    variable): its value, or the list of values when its runs disagree."""
    fields: dict[str, set[str]] = {}
    for record in collect_numerics(results):
        flat = {
            **{k: v for k, v in record.items() if k != "env"},
            **{f"env.{k}": v for k, v in (record.get("env") or {}).items() if k in KERNEL_ENV},
        }
        for name, value in flat.items():
            fields.setdefault(name, set()).add(json.dumps(value, sort_keys=True))
    return {
        name: (json.loads(next(iter(v))) if len(v) == 1 else [json.loads(x) for x in sorted(v)])
        for name, v in sorted(fields.items())
    }


def environment_differences(baseline: dict, current: dict) -> list[str]:
    """``field: baseline → current`` for every field that differs (the CPU model included)."""
    return [
        f"{name}: {baseline.get(name)!r} → {current.get(name)!r}"
        for name in sorted(set(baseline) | set(current))
        if baseline.get(name) != current.get(name)
    ]


def same_numerics(baseline: dict, current: dict) -> bool:
    """True when both environments should give the same bits: equal in every field (the CPU's model
    and vector ISA included) but the ISA-limiting variables, which pinned numerics make irrelevant
    (oneDNN is off and MKL runs its CPU-independent branch)."""

    def determining(env: dict) -> dict:
        return (
            env if env.get("cpu_numerics") != "pinned" else {k: v for k, v in env.items() if k not in PINNED_IRRELEVANT}
        )

    return bool(baseline) and determining(baseline) == determining(current)


def run_digests(results: str | Path, seeds: list[int] | None = None) -> dict[str, dict[str, str]]:
    """Each run's stage digests (``inputs`` and ``outputs`` of its ``metrics.json``), in stage order;
    only the runs of ``seeds`` when given."""
    out = {}
    for key, path in run_files(results, "metrics"):
        if seeds is not None and key.seed not in seeds:
            continue
        data = read_mapping(path, "evaluate the run again")
        recorded = {**(data.get("inputs") or {}), **(data.get("outputs") or {})}
        out[str(key)] = {stage: recorded[stage] for stage in STAGES if isinstance(recorded.get(stage), str)}
    return dict(sorted(out.items()))


def parted_at(baseline: dict[str, dict[str, str]], current: dict[str, dict[str, str]]) -> dict[str, str]:
    """Run → the first stage whose digest differs from the baseline's (``identical`` when none does;
    ``not recorded`` when either side lacks a stage's digest), for every run on both sides."""
    out = {}
    for run in sorted(set(baseline) & set(current)):
        before, now = baseline[run], current[run]
        first = "identical"
        for stage in STAGES:
            if stage not in before or stage not in now:
                first = "not recorded"
                break
            if before[stage] != now[stage]:
                first = stage
                break
        out[run] = first
    return out


def write_baseline(
    path: str | Path,
    results: str | Path,
    reference_seeds: list[int] | None = None,
    fixed_pp: float = FIXED_PP,
    k: float = K_SPREAD,
) -> Path:
    """Freeze the metrics of ``results`` as a baseline: the values of ``reference_seeds`` (all seeds
    when None) and every metric's spread over all seeds of the tree."""
    frame = metric_values(results)
    seeds = sorted(int(s) for s in frame["seed"].unique())
    reference = seeds if reference_seeds is None else sorted(reference_seeds)
    absent = sorted(set(reference) - set(seeds))
    if absent:
        raise RD4ADError(f"--reference-seeds {absent}: not in {results} (its seeds: {seeds})")
    spread = (
        (frame["value"] * 100.0).groupby(frame.index.map(seedless)).agg(lambda seeds: seed_spread(seeds.to_numpy())[0])
    )
    values = frame[frame["seed"].isin(reference)]["value"]
    return atomic_write_json(
        path,
        {
            "format": FORMAT,
            "environment": environment(results),
            "tolerance": {"fixed_pp": check_tolerance("fixed_pp", fixed_pp), "k": check_tolerance("k", k)},
            "seeds": seeds,
            "reference_seeds": reference,
            "values": {key: None if np.isnan(v) else float(v) for key, v in values.items()},
            "spread_pp": {key: None if np.isnan(v) else round(float(v), 6) for key, v in spread.items()},
            "digests": run_digests(results, reference),
        },
    )


def load_baseline(path: str | Path) -> dict:
    """A baseline file (format 3), checked; ``values`` and ``spread_pp`` as float Series (NaN for null)."""
    path = Path(path)
    if not path.is_file():
        raise RD4ADError(
            f"{path}: no baseline; create it with python -m rd4ad drift --write-baseline {path} --results DIR"
        )
    data = read_mapping(path, "regenerate it with --write-baseline")
    if data.get("format") != FORMAT or not all(
        isinstance(data.get(k), dict) for k in ("values", "spread_pp", "tolerance", "environment", "digests")
    ):
        raise RD4ADError(f"{path}: not a drift baseline of format {FORMAT}; regenerate it with --write-baseline")
    values = _numbers(path, data, "values", 0.0, _metric_at_most)
    spread = _numbers(path, data, "spread_pp", 0.0, lambda key: MAX_FIXED_PP)
    seeds, reference = data.get("seeds"), data.get("reference_seeds")
    if not (_seed_list(seeds) and _seed_list(reference) and set(reference) <= set(seeds)):
        raise RD4ADError(
            f"{path}: seeds {seeds!r} / reference_seeds {reference!r} must be non-empty lists of whole "
            f"numbers >= 0, the reference seeds among the seeds; {REGENERATE}"
        )
    for run, stages in data["digests"].items():
        if not (isinstance(stages, dict) and all(s in STAGES and _DIGEST.fullmatch(str(d)) for s, d in stages.items())):
            raise RD4ADError(
                f"{path}: digests.{run} must map stages ({', '.join(STAGES)}) to SHA-256 hex digests; {REGENERATE}"
            )
    tolerance = data["tolerance"]
    limits = {"fixed_pp": MAX_FIXED_PP, "k": MAX_K}
    checked = {name: check_tolerance(f"{path} tolerance.{name}", tolerance.get(name)) for name in limits}
    for name, limit in limits.items():
        if checked[name] > limit:
            raise RD4ADError(
                f"{path}: tolerance.{name} = {checked[name]:g} would let any regression pass (at most "
                f"{limit:g}); {REGENERATE}"
            )
    return {**data, "values": values.sort_index(), "spread_pp": spread, "tolerance": checked}


def _metric_at_most(key: str) -> float:
    """The largest value the metric of ``key`` can take (1 but for anomalib ≤ 2.2's AUPRO)."""
    metric = key.rsplit("/", 1)[-1]
    return REGISTRY[metric].at_most if metric in REGISTRY else 1.0


def _numbers(path: Path, data: dict, name: str, low: float, high_of: Callable[[str], float]) -> pd.Series:
    """``data[name]`` as a float Series (NaN for null); a value that is not a number in [low, high_of(key)]
    names its key."""
    out = {}
    for key, value in data[name].items():
        high = high_of(key)
        if value is not None and not (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and math.isfinite(value)
            and low <= value <= high
        ):
            raise RD4ADError(
                f"{path}: {name}.{key} = {value!r} is not a number in [{low:g}, {high:g}] or null; {REGENERATE}"
            )
        out[key] = np.nan if value is None else float(value)
    return pd.Series(out, dtype=float)


def _seed_list(seeds) -> bool:
    return (
        isinstance(seeds, list)
        and bool(seeds)
        and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)
    )


def compare(baseline: dict, current: pd.DataFrame, fixed_pp: float, k: float, same_environment: bool) -> pd.DataFrame:
    """One row per key: baseline, current, drift and tolerance (pp), status.

    The tolerance is ``fixed_pp`` in the baseline's numerics environment, ``max(fixed_pp, k × spread)``
    in another. Status: ok; DRIFT (|drift| beyond the tolerance, or a value on one side only);
    missing (in the baseline, not in the results); new (in the results, not in the baseline:
    regenerate the baseline after an intended change)."""
    fixed_pp, k = check_tolerance("--tol", fixed_pp), check_tolerance("--k", k)
    base = baseline["values"]
    both = pd.concat({"baseline": base, "current": current["value"]}, axis=1)
    both["drift_pp"] = (both["current"] - both["baseline"]) * 100.0
    spread = both.index.map(lambda key: baseline["spread_pp"].get(seedless(key), np.nan))
    both["spread_pp"] = np.asarray(spread, dtype=float)
    both["tol_pp"] = fixed_pp if same_environment else np.fmax(fixed_pp, k * both["spread_pp"])
    in_base, in_current = both.index.isin(base.index), both.index.isin(current.index)
    one_sided = both["baseline"].isna() != both["current"].isna()
    beyond = both["drift_pp"].abs() > both["tol_pp"] + _EPS_PP
    both["status"] = np.select([~in_current, ~in_base, one_sided | beyond], ["missing", "new", "DRIFT"], "ok")
    return both.rename_axis("key").reset_index()


def parted_report(
    parted: dict[str, str], baseline: dict[str, dict[str, str]], current: dict[str, dict[str, str]]
) -> list[str]:
    """Where the bits part: runs per first differing stage, a few named with both digests."""
    if not parted:
        return []
    counts = pd.Series(parted).value_counts()
    order = [s for s in (*STAGES, "not recorded", "identical") if s in counts]
    lines = ["where the bits part (the first stage whose digest differs from the baseline's):"]
    for stage in order:
        runs = [run for run, first in parted.items() if first == stage]
        lines.append(f"  {stage}: {len(runs)} run{'s' if len(runs) != 1 else ''}")
        if stage in STAGES:
            lines += [
                f"    {run}: {baseline[run][stage][:12]}… → {current[run][stage][:12]}…" for run in runs[:N_PARTED]
            ]
            if len(runs) > N_PARTED:
                lines.append(f"    … and {len(runs) - N_PARTED} more")
    return lines + [""]


def drift_report(
    table: pd.DataFrame,
    baseline: dict,
    current_env: dict,
    fixed_pp: float,
    k: float,
    same_environment: bool,
    current_digests: dict[str, dict[str, str]],
) -> str:
    """The failing rows, the largest moves relative to their tolerance, where the bits part, the
    environment, a summary."""
    fmt = {"float_format": lambda v: f"{v:.4g}", "index": False}
    columns = ["key", "baseline", "current", "drift_pp", "tol_pp", "status"]
    lines = []
    failing = table[table["status"].isin(FAILING)].sort_values(
        ["status", "key"], key=lambda c: c.map(FAILING.index) if c.name == "status" else c
    )
    if len(failing):
        lines += ["failing values:", failing.head(N_LISTED)[columns].to_string(**fmt)]
        rest = failing["status"].iloc[N_LISTED:].value_counts()
        if len(rest):
            counted = ", ".join(f"{rest[s]} {s}" for s in FAILING if s in rest)
            lines.append(f"… and {int(rest.sum())} more failing values ({counted})")
        lines += [*_unknown_seeds(failing, baseline), ""]
    moved = table[table["drift_pp"].abs() > 0].assign(ratio=lambda t: t["drift_pp"].abs() / t["tol_pp"])
    if len(moved):
        largest = moved.sort_values(["ratio", "key"], ascending=[False, True]).head(N_LARGEST)
        lines += [
            f"largest moves (of {len(moved)} that moved at all; |drift| / tolerance):",
            largest[columns + ["ratio"]].to_string(**fmt),
            "",
        ]
    lines += parted_report(parted_at(baseline["digests"], current_digests), baseline["digests"], current_digests)
    differences = environment_differences(baseline["environment"], current_env)
    if same_environment:
        lines.append("numerics environment: the baseline's (an unchanged code base gives the same bits)")
        rule = f"{fixed_pp:g} pp"
    else:
        lines.append(
            "numerics environment differs from the baseline's (values may move as if reseeded; "
            "the tolerance is k × the seed spread):"
        )
        rule = f"max({fixed_pp:g} pp, {k:g} × seed spread)"
    lines += [f"  {d}" for d in differences]
    compared = table[table["status"].isin(("ok", "DRIFT"))]
    identical = int(((compared["drift_pp"] == 0) | (compared["baseline"].isna() & compared["current"].isna())).sum())
    counts = table["status"].value_counts()
    lines.append(
        f"drift: {len(table)} values, tolerance {rule}: "
        + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("ok",) + FAILING)
        + f"; {identical} bit-identical"
    )
    return "\n".join(lines)


def _unknown_seeds(failing: pd.DataFrame, baseline: dict) -> list[str]:
    """A line naming the seeds of new values that the baseline holds no value of, if any."""
    new = failing[failing["status"] == "new"]["key"]
    seeds = sorted({int(m[1]) for m in new.map(_SEED_PART.search) if m} - set(baseline["reference_seeds"]))
    if not seeds:
        return []
    return [
        f"the results hold seeds {seeds}, of which the baseline holds no values (its reference seeds: "
        f"{baseline['reference_seeds']}): check only the reference seeds' runs, or write a baseline with them"
    ]


def drift_failed(table: pd.DataFrame) -> bool:
    """True when any value drifted past its tolerance, disappeared or is not in the baseline."""
    return bool(table["status"].isin(FAILING).any())
