"""Which entries of a dataset folder a loader reads: the one rule every loader shares.

A hidden entry (its name starts with ``.``: ``.DS_Store``, a macOS AppleDouble ``._x.jpg``, this
suite's temporaries) is never data. A visible regular file whose suffix, in any case, is one of the
loader's is an image; every other visible entry is not: MVTec AD reports it as a problem (its
archive holds none), Caltech-256 skips it (its archive holds ``198.spider/RENAME2`` and
``056.dog/greg/``).
"""

from __future__ import annotations

from pathlib import Path


def hidden(path: Path) -> bool:
    """Whether ``path`` names a hidden entry (never data)."""
    return path.name.startswith(".")


def visible(folder: Path) -> list[Path]:
    """The entries of ``folder`` that are not hidden, sorted; none when it is not a folder."""
    return sorted(p for p in folder.iterdir() if not hidden(p)) if folder.is_dir() else []


def images(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """The visible regular files of ``folder`` whose lower-case suffix is in ``suffixes``, sorted."""
    return [p for p in visible(folder) if p.is_file() and p.suffix.lower() in suffixes]


def folders(folder: Path) -> list[Path]:
    """The visible sub-folders of ``folder``, sorted."""
    return [p for p in visible(folder) if p.is_dir()]
