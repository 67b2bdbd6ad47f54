"""The full traceback of an unexpected error, kept in a log file while the user sees one line."""

from __future__ import annotations

import os
import shlex
import tempfile
import time
import traceback
from pathlib import Path

LOG_DIR = "rd4ad-logs"


def write_crash_log(command: str, argv: list[str], err: BaseException) -> Path | None:
    """Write the command line and ``err``'s traceback to ``<tmp>/rd4ad-logs/``; None if that fails."""
    folder = Path(tempfile.gettempdir()) / LOG_DIR
    path = folder / f"{command or 'rd4ad'}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    text = f"python -m rd4ad {shlex.join(argv)}\n\n" + "".join(traceback.format_exception(err))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError:
        return None
    return path
