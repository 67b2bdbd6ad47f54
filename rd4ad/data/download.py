"""Download one file with a named checksum (``sha256`` or ``md5``), optionally from a mirror.

The file is streamed into a hidden temporary sibling of its destination, hashed as it
arrives, and moved into place only when its size and checksum match; any failure removes
the temporary file, so a later run never mistakes a partial download for a good one.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from rd4ad.files.errors import RD4ADError, StorageError, describe_os_error
from rd4ad.files.temporaries import temp_prefix

CHUNK = 1 << 20


@dataclass(frozen=True)
class RemoteFile:
    """Where a file lives and the checksum it must have (``hash_name`` is a hashlib name)."""

    url: str
    hash_name: str
    digest: str
    source: str = ""

    @property
    def filename(self) -> str:
        return Path(urlsplit(self.url).path).name


def mirror_url(remote: RemoteFile, mirror: str | None) -> str:
    """The URL to fetch: the official one, or ``<mirror>/<file name>`` when a mirror is given."""
    return f"{mirror.rstrip('/')}/{remote.filename}" if mirror else remote.url


def file_digest(path: str | os.PathLike, hash_name: str) -> str:
    """Hex digest of a local file with the named hashlib algorithm."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, hash_name).hexdigest()


def _write(out, chunk: bytes, dst: Path) -> None:
    try:
        out.write(chunk)
    except OSError as err:  # the local disk, not the network
        raise StorageError(f"downloading {dst.name}: {describe_os_error(err, dst.parent)}") from err


def download(remote: RemoteFile, dst: str | os.PathLike, mirror: str | None = None, timeout: float = 60.0) -> Path:
    """Fetch ``remote`` (or its mirror copy) to ``dst`` and verify its checksum; return ``dst``."""
    dst = Path(dst)
    url = mirror_url(remote, mirror)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(dst.name), suffix=".part", dir=dst.parent)
    hasher = hashlib.new(remote.hash_name)
    received = 0
    try:
        with os.fdopen(fd, "wb", buffering=0) as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            expected = resp.headers.get("Content-Length")
            while chunk := resp.read(CHUNK):
                hasher.update(chunk)
                _write(out, chunk, dst)
                received += len(chunk)
        if expected is not None and received != int(expected):
            raise RD4ADError(
                f"{url}: download truncated ({received} of {expected} bytes); nothing was saved to "
                f"{dst}. Run the fetch again, or pass --mirror URL"
            )
        if hasher.hexdigest() != remote.digest:
            raise RD4ADError(
                f"{url}: {remote.hash_name} checksum {hasher.hexdigest()} does not match the expected "
                f"{remote.digest}; nothing was saved to {dst}. The file is corrupt or not the official "
                f"one: retry, or use a mirror serving the identical file"
            )
        os.replace(tmp, dst)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as err:
        raise RD4ADError(
            f"{url}: download failed ({err}); nothing was saved to {dst}. Check the network, pass "
            f"--mirror URL, or point the config at a local copy"
        ) from err
    finally:
        Path(tmp).unlink(missing_ok=True)
    return dst
