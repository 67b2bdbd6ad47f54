"""Runs that did not finish: which job failed, its log and the line that says why.

A run without ``metrics.json`` is *failed* when the log of its train or evaluate job ends
with an error (the last ``rd4ad <command>: error: …`` or ``unexpected error`` line, or a
Python exception line), *unfinished* when a log exists without one (killed, or still
running), and *not started* when there is no log. The report lists them so that a DAG run
with ``--keep-going`` ends with the tables of everything that finished and the reason for
everything that did not.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from rd4ad.contract.layout import RunFolder, RunKey

STEPS = ("evaluate", "train")  # the later job's log speaks first: its run got that far
FAILURE_COLUMNS = ["run", "state", "job", "log", "error"]
_ERROR = re.compile(r"^(rd4ad [\w-]+: (unexpected )?error: .*|\w*(Error|Exception): .*|Killed.*)$")
_TAIL_BYTES = 64 * 1024


def error_line(log: Path) -> str | None:
    """The last error line of ``log`` (its last 64 KiB), or None when it holds none."""
    with open(log, "rb") as handle:
        handle.seek(max(0, log.stat().st_size - _TAIL_BYTES))
        lines = handle.read().decode("utf-8", "replace").splitlines()
    hits = [line.strip() for line in lines if _ERROR.match(line.strip())]
    return hits[-1] if hits else None


def run_failure(folder: RunFolder) -> dict:
    """State of one run without ``metrics.json``: failed / unfinished / not started, with its log."""
    for step in STEPS:
        log = folder.log(step)
        if log.is_file():
            line = error_line(log)
            return {"run": str(folder.key), "state": "failed" if line else "unfinished", "job": step,
                    "log": str(log), "error": line or ""}
    return {"run": str(folder.key), "state": "not started", "job": "", "log": "", "error": ""}


def run_failures(results: Path, keys: list[RunKey]) -> pd.DataFrame:
    """``run_failure`` of every run in ``keys`` (those without ``metrics.json``), failed ones first."""
    rows = [run_failure(RunFolder(results, key)) for key in keys]
    frame = pd.DataFrame(rows, columns=FAILURE_COLUMNS)
    order = {"failed": 0, "unfinished": 1, "not started": 2}
    return frame.sort_values("state", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
