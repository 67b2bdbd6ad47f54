"""A job's log (``--log FILE``, every command): its output goes to FILE, and its error outlives a full disk.

With ``--log FILE`` the CLI itself sends stdout and stderr (the file descriptors, so C++ warnings too)
into FILE and keeps the stderr it was started with (Snakemake's console, a SLURM job's log). Its
final one-line error goes to FILE and to that original stderr; when FILE cannot take it (its disk is
full), the line is also kept in a note outside the run folder, ``<tmp>/rd4ad-logs/unlogged/``, named
by FILE's path, which the report reads (:func:`unlogged_error`) for a run whose log holds no error.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from rd4ad.files.crashlog import LOG_DIR

UNLOGGED = "unlogged"
PREAMBLE_ENV = "RD4AD_LOG_PREAMBLE"  # lines a wrapper of the job (the GPU slot) hands to the job's log


def open_log(path: str | os.PathLike) -> TextIO:
    """Send stdout and stderr into the file ``path`` (created or emptied), which opens with the lines of
    ``$RD4AD_LOG_PREAMBLE`` (where the GPU slot placed the job); return the original stderr. An
    ``OSError`` when ``path`` cannot be opened (nothing is redirected then)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    original = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="backslashreplace")
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    if os.environ.get(PREAMBLE_ENV):
        print(os.environ[PREAMBLE_ENV], file=sys.stderr, flush=True)
    return original


def note_path(log: str | os.PathLike) -> Path:
    """Where the error of the job logging to ``log`` is kept when ``log`` cannot take it."""
    digest = hashlib.sha256(str(Path(log).resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / LOG_DIR / UNLOGGED / f"{digest}.txt"


def _written(stream: TextIO, line: str) -> bool:
    try:
        stream.write(line + "\n")
        stream.flush()
    except (OSError, ValueError):
        return False
    return True


def report_error(line: str, log: str | os.PathLike | None, original: TextIO | None) -> None:
    """Write the final error ``line`` to stderr (the log, with ``--log``), the original stderr, and
    when the log did not take it, to :func:`note_path`."""
    logged = _written(sys.stderr, line)
    if original is not None:
        _written(original, line)
    if log is None or logged:
        return
    devnull = os.open(os.devnull, os.O_WRONLY)  # what the log could not take is dropped, not retried at exit
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    note = note_path(log)
    try:
        note.parent.mkdir(parents=True, exist_ok=True)
        note.write_text(f"{line}\n{log}\n", encoding="utf-8")
    except OSError:
        pass  # the original stderr has it


def unlogged_error(log: Path) -> str | None:
    """The error line kept for ``log`` by its last job, or None (none, or older than the log)."""
    note = note_path(log)
    try:
        if note.stat().st_mtime_ns < log.stat().st_mtime_ns:
            return None
        return note.read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError, UnicodeDecodeError):
        return None
