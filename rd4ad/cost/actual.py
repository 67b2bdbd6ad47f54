"""What the runs did cost: the seconds in the train and evaluate rules' ``benchmark:`` files.

Snakemake writes ``<run folder>/<job>_benchmark.tsv`` (column ``s``: the job's wall seconds) for
every job it ran; a run some of whose files are missing is left out. Compared with the estimate
by ``python -m rd4ad estimate --compare`` and the report.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rd4ad.contract.layout import RunFolder
from rd4ad.cost.estimate import JOBS
from rd4ad.planning.plan import Plan


def benchmark_seconds(path: Path) -> float | None:
    """The wall seconds of one benchmark file (the mean over its repeats), None where it is missing or unreadable."""
    try:
        return float(pd.read_csv(path, sep="\t")["s"].mean())
    except (OSError, KeyError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None


def actual_seconds(plan: Plan, results: str | Path | None = None) -> dict[str, dict[str, float]]:
    """Run key → ``{"train_s", "evaluate_s"}`` measured in ``results`` (default: the plan's folder)."""
    root = Path(results) if results is not None else plan.results
    out = {}
    for key, planned in plan.runs.items():
        folder = RunFolder(root, planned.run.key)
        seconds = {f"{job}_s": benchmark_seconds(folder.benchmark(job)) for job in JOBS}
        if None not in seconds.values():
            out[key] = seconds
    return out
