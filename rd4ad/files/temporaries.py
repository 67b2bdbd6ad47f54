"""This tool's temporary files and folders, and removing those a killed process left behind.

Every result is first written to a hidden sibling (``rd4ad.files.io``: ``.<name>.<owner>~<random>.tmp``;
downloads: ``….part``; extracted archives and synthetic sets: ``.<name>.partial-<owner>~<random>``),
where ``<owner>`` is ``<host>~<pid>`` of the writing process. A SIGKILL leaves that sibling
behind; :func:`clean_stale` removes it on the next start: at once when its process, on this
host, is gone; after :data:`STALE_AFTER_S` otherwise (another host of a shared file system, or a
temporary named before owners were recorded). A live writer's temporary is never removed.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sys
import time
from pathlib import Path

PARTIAL = "partial-"
STALE_AFTER_S = 24 * 3600
_OWNED = re.compile(
    rf"\..+\.(?P<partial>{PARTIAL})?(?P<host>[A-Za-z0-9-]*)~(?P<pid>\d+)~[a-z0-9_]+"
    r"(?P<suffix>\.tmp|\.part)?"
)
_UNOWNED = re.compile(rf"\..+\.(?:{PARTIAL}[a-z0-9_]{{8}}|[a-z0-9_]{{8}}\.(?:tmp|part))")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())


def _owner() -> str:
    return f"{_host()}~{os.getpid()}"


def temp_prefix(name: str, partial: bool = False) -> str:
    """``mkstemp`` / ``mkdtemp`` prefix of a temporary for ``name`` (``partial``: a folder)."""
    return f".{name}.{PARTIAL if partial else ''}{_owner()}~"


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (on this host; one of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(path: Path, now: float | None = None) -> bool:
    """Whether ``path`` is a temporary of this tool whose writer is gone."""
    owned = _OWNED.fullmatch(path.name)
    if owned is not None and bool(owned["partial"]) == (owned["suffix"] is None):
        if owned["host"] == _host():
            return not pid_alive(int(owned["pid"]))
    elif _UNOWNED.fullmatch(path.name) is None:
        return False
    try:
        age = (time.time() if now is None else now) - path.lstat().st_mtime
    except OSError:
        return False
    return age > STALE_AFTER_S


def clean_stale(folder: str | os.PathLike | None) -> list[Path]:
    """Remove the stale temporaries directly in ``folder`` (logged on stderr); return them."""
    removed = []
    try:
        entries = list(Path(folder).iterdir()) if folder is not None else []
    except OSError:
        return removed
    for path in entries:
        if not is_stale(path):
            continue
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        print(f"removed {path}, a temporary left by an interrupted run", file=sys.stderr)
        removed.append(path)
    return removed
