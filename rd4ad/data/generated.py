"""A dataset folder written whole by one of the suite's writers (``python -m rd4ad synth``, ``python -m rd4ad
replica``): filled in a hidden sibling folder, validated, then swapped into place in one step
(``rd4ad.files.io.replace_folder``), so a killed run leaves the previous folder untouched. ``overwrite``
replaces only a folder that writer wrote (``ours``), never a real dataset or a user's files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from rd4ad.files.errors import RD4ADError
from rd4ad.files.io import replace_folder
from rd4ad.files.temporaries import clean_stale, temp_prefix


def check_out(out: Path, overwrite: bool, ours: Callable[[Path], bool], what: str, command: str, marker: str) -> None:
    """Refuse ``out`` when it is a file, or a non-empty folder that is not to be overwritten or that
    ``ours`` does not recognise as ``what`` written by ``python -m rd4ad <command>`` (its ``marker``)."""
    if out.exists() and not out.is_dir():
        raise RD4ADError(f"{out}: is a file; --out takes the folder to write {what} into")
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not overwrite:
        raise RD4ADError(f"{out}: already exists; delete it or pass --overwrite")
    if not ours(out):
        raise RD4ADError(
            f"{out}: not {what} written by `python -m rd4ad {command}` (no {marker}, or other files beside it); "
            "--overwrite replaces only such a folder: choose another --out or move this folder away"
        )


def write_folder(
    out: str | os.PathLike,
    overwrite: bool,
    fill: Callable[[Path], None],
    *,
    ours: Callable[[Path], bool],
    what: str,
    command: str,
    marker: str,
) -> Path:
    """``out`` written by ``fill(folder)`` (which also validates it) into a hidden sibling, then swapped in."""
    out = Path(out)
    clean_stale(out.parent)
    check_out(out, overwrite, ours, what, command, marker)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(out.name, partial=True), dir=out.parent))
    try:
        fill(tmp)
        replace_folder(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out
