"""Fetch a dataset archive into a folder: reuse a valid copy, else download, verify, extract, validate."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from rd4ad.data.download import RemoteFile, download
from rd4ad.data.extract import extract_validated
from rd4ad.errors import RD4ADError


def fetch_archive(remote: RemoteFile, root: str | os.PathLike, validate: Callable[[Path], None],
                  mirror: str | None = None) -> Path:
    """Make ``root`` hold the validated content of ``remote``'s archive and return it.

    A ``root`` that already validates is used as is (nothing is downloaded). A non-empty
    ``root`` that does not validate is an error (it is never overwritten). Otherwise the
    archive is downloaded next to ``root``, checked, extracted atomically (see
    :mod:`rd4ad.data.extract`) and deleted, whether or not extraction succeeded.
    """
    root = Path(root)
    if root.exists() and any(root.iterdir()):
        try:
            validate(root)
        except RD4ADError as err:
            raise RD4ADError(f"{root} exists but is not a complete copy ({err}). Delete {root} to download "
                             f"it again, or point the config at a valid local copy") from err
        return root
    archive = root.parent / f".{root.name}.{remote.filename}"
    try:
        download(remote, archive, mirror=mirror)
        if root.exists():
            root.rmdir()
        return extract_validated(archive, root, validate)
    finally:
        archive.unlink(missing_ok=True)
