"""Safe archive extraction: refuse hostile members, extract into a hidden folder, validate, rename.

Members with absolute names or ``..`` components are refused outright; then tarfile's ``data``
filter refuses links pointing outside the destination (absolute or via ``..``) and device
files, and strips unsafe permissions. Either refusal is an ``RD4ADError`` naming the member. Extraction goes into a
hidden ``.<name>.partial-*`` sibling of the destination; only after ``validate`` accepts it is
it renamed onto the destination, so a failed or interrupted fetch never leaves a folder
that later looks valid.
"""

from __future__ import annotations

import lzma
import os
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Callable

from rd4ad.errors import RD4ADError


def _unsafe(name: str) -> bool:
    path = PurePosixPath(name)
    return path.is_absolute() or ".." in path.parts or name.startswith("\\")


def _member_filter(archive: Path) -> Callable[[tarfile.TarInfo, str], tarfile.TarInfo]:
    def check(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo:
        if _unsafe(member.name):
            raise RD4ADError(f"{archive}: member {member.name!r} has an absolute path or '..'; refusing to "
                             f"extract this archive. Download it again from the official source")
        try:
            return tarfile.data_filter(member, dest)
        except tarfile.FilterError as err:
            raise RD4ADError(f"{archive}: member {member.name!r} refused ({err}); refusing to extract. "
                             f"Download the archive again from the official source") from err
    return check


def extract_validated(archive: str | os.PathLike, dest: str | os.PathLike,
                      validate: Callable[[Path], None]) -> Path:
    """Extract ``archive`` and move it onto ``dest`` once ``validate(tmp_folder)`` passes.

    ``dest`` must not exist yet (or be an empty folder). On any failure the partial folder is
    removed and the error (an ``RD4ADError``) names the archive and what to do.
    """
    archive, dest = Path(archive), Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(tmp, filter=_member_filter(archive))
        except (tarfile.TarError, EOFError, lzma.LZMAError, zlib.error, OSError) as err:
            raise RD4ADError(f"{archive}: archive is truncated or corrupt ({err}); delete it and fetch again") from err
        validate(tmp)
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest
