"""Atomic file writes and safe checkpoint loading.

torch is imported only by the functions that need it (light commands stay fast).
Every result file is written to a temporary sibling (``rd4ad.files.temporaries``) and moved into
place with ``os.replace``, so a killed job never leaves a half-written output that looks
done. A write that fails (disk full, read-only folder) is a ``StorageError`` naming the
file; a checkpoint that cannot be parsed is an ``UnreadableFileError``.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rd4ad.files.errors import RD4ADError, StorageError, UnreadableFileError, describe_os_error
from rd4ad.files.temporaries import temp_prefix

if TYPE_CHECKING:
    import torch

CORRUPT_SUFFIX = ".corrupt"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_UNPICKLER = "WeightsUnpickler error:"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic(path: str | os.PathLike, write: Callable[[str], None]) -> Path:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path.name), suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise StorageError(f"cannot write {path}: {describe_os_error(err)}") from err
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are shared like any new file
        os.replace(tmp, path)
    except OSError as err:  # a failed write names no file: the folder's disk is the one that is full
        raise StorageError(f"cannot write {path}: {describe_os_error(err, err.filename or path.parent)}") from err
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return _atomic(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return _atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented, key-sorted JSON atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save`` to ``path`` atomically; a failed write (e.g. a full disk) is a ``StorageError``."""
    import torch

    def save(tmp: str) -> None:
        try:
            torch.save(obj, tmp)
        except RuntimeError as err:  # torch's zip writer: "inline_container.cc: unexpected pos …"
            if "inline_container" not in str(err) and "PytorchStreamWriter" not in str(err):
                raise
            raise StorageError(
                f"cannot write {path}: {str(err).splitlines()[0]}; the disk is probably full "
                f"(or a quota / file-size limit was hit): free space under {Path(path).parent} "
                f"and run the command again"
            ) from err

    return _atomic(path, save)


def atomic_link(source: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Make ``path`` a second name of the file ``source`` (a hard link: no bytes copied), atomically;
    a copy where the file system has no hard links."""

    def link(tmp: str) -> None:
        os.unlink(tmp)
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)

    return _atomic(path, link)


def atomic_save_with(path: str | os.PathLike, save: Callable[[str], None]) -> Path:
    """Call ``save(tmp_path)`` (e.g. a figure's ``savefig``) and move the result into place."""
    return _atomic(path, save)


def read_mapping(path: str | os.PathLike, fix: str, missing: str = "no such file") -> dict:
    """The mapping in the JSON (``*.json``) or YAML file ``path``; a missing, undecodable or
    non-mapping file is one ``RD4ADError`` naming it, then what to do (``fix``)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise RD4ADError(f"{path}: {missing}; {fix}")
    kind = "JSON" if path.suffix == ".json" else "YAML"
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if kind == "JSON" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as err:
        raise RD4ADError(f"{path}: not valid {kind} ({' '.join(str(err).split())[:200]}); {fix}") from err
    if not isinstance(data, dict):
        raise RD4ADError(f"{path}: holds a {kind} {type(data).__name__}, not an object; {fix}")
    return data


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> Any:
    """``torch.load`` with ``weights_only=True`` (never unpickle arbitrary objects).

    A file that is empty, truncated or not a torch file is an ``UnreadableFileError``.
    """
    import torch

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(path, map_location=map_location, weights_only=True)
    except (FileNotFoundError, PermissionError):
        raise
    except Exception as err:  # torch raises EOFError, KeyError, OSError, RuntimeError, … on bad bytes
        if Path(path).is_file() and Path(path).stat().st_size == 0:
            raise UnreadableFileError(path, "empty file") from err
        text = str(err).strip()
        if _UNPICKLER in text:  # weights_only refused a pickled object: keep the reason, not the advice
            text = "refused by weights_only loading: " + text.split(_UNPICKLER, 1)[1].strip()
        detail = (text.splitlines() or [""])[0][:160] or type(err).__name__
        raise UnreadableFileError(path, f"not a torch checkpoint: {detail}") from err


def move_aside(path: str | os.PathLike, reason: str, consequence: str) -> Path | None:
    """Rename a corrupt ``path`` to ``<path>.corrupt`` (replacing an older one) and say so on stderr.

    Returns the new name, or None when ``path`` cannot be renamed (it is then left in place).
    """
    path = Path(path)
    aside = path.with_name(path.name + CORRUPT_SUFFIX)
    try:
        os.replace(path, aside)
    except OSError:
        aside = None
    moved = f"moved to {aside.name}" if aside else "could not be moved aside"
    print(f"{path}: {reason}; {moved}, {consequence}", file=sys.stderr)
    return aside


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


def replace_folder(new: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Move the folder ``new`` onto ``dest``; an existing ``dest`` is swapped out in one step, then deleted.

    At every moment ``dest`` holds either the old or the new folder (where the file system
    cannot swap atomically, there is a moment between two renames).
    """
    new, dest = Path(new), Path(dest)
    if not dest.exists():
        os.replace(new, dest)
        return dest
    if not _exchange(new, dest):
        old = Path(tempfile.mkdtemp(prefix=temp_prefix(dest.name, partial=True), dir=dest.parent))
        os.replace(dest, old / dest.name)
        os.replace(new, dest)
        new = old
    shutil.rmtree(new)
    return dest
