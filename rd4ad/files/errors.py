"""The exceptions users see: a message naming the file or key and what to do."""

from __future__ import annotations

import errno
import os

_FREE_SPACE = "free space there and run the command again (finished results are kept)"
_FILE_IN_THE_WAY = "a file stands where a folder is expected: move that file away or choose another path"
_OS_ADVICE = {
    errno.EACCES: "check its permissions or choose another location",
    errno.EPERM: "check its permissions or choose another location",
    errno.EROFS: "choose a location on a writable file system",
    errno.ENOSPC: _FREE_SPACE,
    errno.EDQUOT: _FREE_SPACE,
    errno.EFBIG: "free space or raise the file-size limit (ulimit -f) and run the command again",
    errno.ENOTDIR: _FILE_IN_THE_WAY,
    errno.EEXIST: _FILE_IN_THE_WAY,
    errno.EISDIR: "a folder stands where a file is expected: give a file path",
    errno.ENAMETOOLONG: "choose a shorter path",
}


class RD4ADError(Exception):
    """A user-facing error; the CLI prints its message without a traceback."""


class StorageError(RD4ADError):
    """The machine failed, not the input: a disk full, a read-only or missing folder.

    Nothing computed so far is wrong; running the command again once the cause is fixed continues.
    """


class UnreadableFileError(RD4ADError):
    """A file that exists but cannot be parsed (empty, truncated, other content); ``detail`` says why."""

    def __init__(self, path: str | os.PathLike, detail: str, fix: str = "") -> None:
        self.path, self.detail = path, detail
        super().__init__(f"{path}: unreadable ({detail})" + (f"; {fix}" if fix else ""))


def describe_os_error(err: OSError, path: str | os.PathLike | None = None) -> str:
    """``<path>: <what the OS said>; <what to do>`` for an ``OSError`` (disk full, read-only, …)."""
    where = path if path is not None else (err.filename or "file system")
    advice = _OS_ADVICE.get(err.errno, "check the path and run the command again")
    return f"{where}: {err.strerror or err}; {advice}"
