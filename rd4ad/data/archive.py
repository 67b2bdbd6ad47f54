"""Fetch a dataset archive into a folder: reuse a valid copy, else download (or reuse an archive
already verified), verify, extract, validate."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from rd4ad.data.download import RemoteFile, download, file_digest
from rd4ad.data.extract import extract_validated
from rd4ad.files.errors import RD4ADError, StorageError
from rd4ad.files.temporaries import clean_stale


def fetch_archive(
    remote: RemoteFile, root: str | os.PathLike, validate: Callable[[Path], None], mirror: str | None = None
) -> Path:
    """Make ``root`` hold the validated content of ``remote``'s archive and return it.

    A ``root`` that already validates is used as is (nothing is downloaded). A non-empty
    ``root`` that does not validate is an error (it is never overwritten). Otherwise the
    archive is downloaded next to ``root`` (an archive left there by an interrupted fetch is
    reused once its checksum matches), extracted atomically (see :mod:`rd4ad.data.extract`) and
    deleted; it is kept only when extraction stopped for a reason other than its content (a
    full disk, an interruption), so the next fetch does not download it again.
    """
    root = Path(root)
    clean_stale(root.parent)
    if root.exists() and any(root.iterdir()):
        try:
            validate(root)
        except RD4ADError as err:
            raise RD4ADError(
                f"{root} exists but is not a complete copy ({err}). Delete {root} to download "
                f"it again, or point the config at a valid local copy"
            ) from err
        return root
    archive = root.parent / f".{root.name}.{remote.filename}"
    if archive.is_file() and file_digest(archive, remote.hash_name) == remote.digest:
        print(f"{archive}: reusing the archive already downloaded and verified", file=sys.stderr)
    else:
        download(remote, archive, mirror=mirror)
    try:
        if root.exists():
            root.rmdir()
        extract_validated(archive, root, validate)
    except StorageError:
        raise
    except RD4ADError as err:
        archive.unlink(missing_ok=True)
        raise RD4ADError(f"{err}; it was deleted: run the fetch again to download it anew") from err
    archive.unlink()
    return root
