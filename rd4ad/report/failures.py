"""Runs that did not finish: which job failed, its log and the line that says why.

A run without ``metrics.json`` is *failed* when the log of its train or evaluate job ends
with an error (the last ``rd4ad <command>: error: …`` or ``unexpected error`` line, or a
Python exception line) or when its job kept the error it could not write to that log (a full
disk: ``rd4ad.files.joblog``), *unfinished* when a log exists without one (killed, or still
running), and *not started* when there is no log. The report lists them so that a DAG run
with ``--keep-going`` ends with the tables of everything that finished and the reason for
everything that did not.

Under SLURM (snakemake-executor-plugin-slurm) a failed job also leaves the scheduler's log of it,
``.snakemake/slurm_logs/rule_<job>/<dataset>_<category>_<variant>_<seed>/<job id>.log`` in the
workflow's folder (the plugin deletes the logs of jobs that succeed); the newest one is listed
too, and SLURM's own line in it (``slurmstepd-node7: error: *** STEP 42.0 ON node7 CANCELLED AT …``)
stands when the job's log has no error.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from rd4ad.contract.layout import RunFolder, RunKey
from rd4ad.files.joblog import unlogged_error

STEPS = ("evaluate", "train")  # the later job's log speaks first: its run got that far
FAILURE_COLUMNS = ["run", "state", "job", "log", "slurm_log", "error"]
SLURM_LOGS = Path(".snakemake") / "slurm_logs"  # the executor plugin's default, relative to the workflow folder
_ERROR = re.compile(r"^(rd4ad [\w-]+: (unexpected )?error: .*|\w*(Error|Exception): .*|Killed.*)$")
_SLURM_ERROR = re.compile(r"^slurmstepd(-\S+)?: error: \*\*\* (JOB|STEP) .*$")  # "*** JOB 4 ON vm CANCELLED AT … ***"
_TAIL_BYTES = 64 * 1024


def error_line(log: Path, pattern: re.Pattern = _ERROR) -> str | None:
    """The last line of ``log`` (its last 64 KiB) that ``pattern`` matches, or None."""
    with open(log, "rb") as handle:
        handle.seek(max(0, log.stat().st_size - _TAIL_BYTES))
        lines = handle.read().decode("utf-8", "replace").splitlines()
    hits = [line.strip() for line in lines if pattern.match(line.strip())]
    return hits[-1] if hits else None


def slurm_log(key: RunKey, step: str, logs: Path = SLURM_LOGS) -> Path | None:
    """The newest SLURM log the executor plugin kept of ``step``'s job of run ``key``, or None."""
    folder = logs / f"rule_{step}" / "_".join(map(str, (key.dataset, key.category, key.variant, key.seed)))
    found = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime_ns)
    return found[-1] if found else None


def run_failure(folder: RunFolder, logs: Path = SLURM_LOGS) -> dict:
    """State of one run without ``metrics.json``: failed / unfinished / not started, with its logs."""
    for step in STEPS:
        log = folder.log(step)
        if log.is_file():
            scheduler = slurm_log(folder.key, step, logs)
            line = error_line(log) or unlogged_error(log) or (scheduler and error_line(scheduler, _SLURM_ERROR))
            return {
                "run": str(folder.key),
                "state": "failed" if line else "unfinished",
                "job": step,
                "log": str(log),
                "slurm_log": str(scheduler or ""),
                "error": line or "",
            }
    return {"run": str(folder.key), "state": "not started", "job": "", "log": "", "slurm_log": "", "error": ""}


def run_failures(results: Path, keys: list[RunKey], logs: Path = SLURM_LOGS) -> pd.DataFrame:
    """``run_failure`` of every run in ``keys`` (those without ``metrics.json``), failed ones first;
    ``logs``: where the SLURM executor plugin keeps its job logs."""
    rows = [run_failure(RunFolder(results, key), logs) for key in keys]
    frame = pd.DataFrame(rows, columns=FAILURE_COLUMNS)
    order = {"failed": 0, "unfinished": 1, "not started": 2}
    return frame.sort_values("state", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
