"""Paths derived from names stay inside their root, and outputs are checked before the work."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from rd4ad.files.errors import RD4ADError, StorageError, describe_os_error


def under(root: str | os.PathLike, *parts: str) -> Path:
    """``root/parts…``; an ``RD4ADError`` when the parts (``..``, an absolute path) would leave ``root``.

    The check is on the path as written (symbolic links inside ``root`` are the user's choice).
    """
    path = Path(root).joinpath(*parts)
    rel = os.path.relpath(os.path.normpath(path), os.path.normpath(root))
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        raise RD4ADError(
            f"{path}: leaves its folder {root} (a name with '..' or '/'?); "
            "use plain names for datasets, categories and variants"
        )
    return path


def writable_file(path: str | os.PathLike) -> Path:
    """Check, before any expensive work, that the file ``path`` can be written (nothing is created).

    A folder at ``path``, a file where a folder is expected, or a folder that is not writable is
    a ``StorageError`` naming it.
    """
    path = Path(path)
    if path.is_dir():
        raise StorageError(
            f"{path}: is a folder where this file is to be written; move the folder away or write elsewhere"
        )
    existing = path.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        problem = NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(existing))
    elif not os.access(existing, os.W_OK | os.X_OK):
        problem = PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(existing))
    else:
        return path
    raise StorageError(f"cannot write {path}: {describe_os_error(problem)}")
