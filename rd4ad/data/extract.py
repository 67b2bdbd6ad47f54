"""Safe archive extraction: refuse hostile members, extract into a hidden folder, validate, rename.

Members with absolute names or ``..`` components are refused outright, and so is every link
(symbolic or hard): the archives the suite fetches contain none, and a chain of links can
escape tarfile's own ``data`` filter (CVE-2025-4517: symlinks nested past ``PATH_MAX``, which
``os.path.realpath`` stops resolving). The ``data`` filter then refuses device files and strips
unsafe permissions. A refusal is an ``RD4ADError`` naming the member. Only tar archives are
read; a zip archive is reported as unsupported. Extraction goes into a hidden
``.<name>.partial-*`` sibling of the destination; only after ``validate`` accepts it is it
renamed onto the destination, so a failed or interrupted fetch never leaves a folder that later
looks valid. Its errors name the archive and, for content that does not validate, the members as
the archive holds them, never the partial folder (deleted by then).
"""

from __future__ import annotations

import gzip
import lzma
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from rd4ad.files.errors import RD4ADError, StorageError, describe_os_error
from rd4ad.files.temporaries import temp_prefix

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def _unsafe(name: str) -> bool:
    path = PurePosixPath(name)
    return path.is_absolute() or ".." in path.parts or name.startswith("\\")


def _member_filter(archive: Path) -> Callable[[tarfile.TarInfo, str], tarfile.TarInfo]:
    def check(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo:
        if _unsafe(member.name):
            raise RD4ADError(
                f"{archive}: member {member.name!r} has an absolute path or '..'; refusing to "
                f"extract this archive. Download it again from the official source"
            )
        if member.issym() or member.islnk():
            raise RD4ADError(
                f"{archive}: member {member.name!r} is a link (to {member.linkname!r}); the "
                "datasets this suite fetches contain none, so the archive is refused. Download it "
                "again from the official source"
            )
        try:
            return tarfile.data_filter(member, dest)
        except tarfile.FilterError as err:
            raise RD4ADError(
                f"{archive}: member {member.name!r} refused ({err}); refusing to extract. "
                f"Download the archive again from the official source"
            ) from err

    return check


def _is_zip(archive: Path) -> bool:
    with open(archive, "rb") as f:
        return f.read(4) in ZIP_MAGIC


def extract_validated(archive: str | os.PathLike, dest: str | os.PathLike, validate: Callable[[Path], None]) -> Path:
    """Extract ``archive`` and move it onto ``dest`` once ``validate(tmp_folder)`` passes.

    ``dest`` must not exist yet (or be an empty folder). On any failure the partial folder is
    removed and the error (an ``RD4ADError``) names the archive and what is wrong with it.
    """
    archive, dest = Path(archive), Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(dest.name, partial=True), dir=dest.parent))
    try:
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(tmp, filter=_member_filter(archive))
        except (tarfile.TarError, EOFError, lzma.LZMAError, zlib.error, gzip.BadGzipFile) as err:
            if isinstance(err, tarfile.ReadError) and _is_zip(archive):
                raise RD4ADError(
                    f"{archive}: a zip archive; only tar archives (.tar, .tar.gz, .tar.xz) are "
                    "supported: fetch the official tar archive"
                ) from err
            raise RD4ADError(f"{archive}: archive is truncated or corrupt ({err})") from err
        except OSError as err:
            raise StorageError(f"extracting {archive}: {describe_os_error(err)}") from err
        try:
            validate(tmp)
        except StorageError:
            raise
        except RD4ADError as err:
            inside = str(err).replace(f"{tmp}{os.sep}", "").replace(str(tmp), "its top level")
            raise RD4ADError(f"{archive} holds no valid copy: {inside}") from err
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest
