"""Check a dataset's image files once, when it is fetched or generated, and record that they passed.

Every image and mask is decoded in full, as the loader will decode it (``rd4ad.data.arrays``); a
mask must have its image's size and at least one defect pixel at the loader's threshold. All
problems found are reported in one error: the first in full, then how many others, a few of
them named. The record, :data:`RECORD` in the dataset folder, maps each checked group of files
(an MVTec category) to a fingerprint of its files: the cache key (``rd4ad.data.cache``) of their
relative paths, sizes and mtimes and of :data:`CHECKS`. A loader whose group still has its
recorded fingerprint decodes nothing to check it; one that finds a file added, removed or
touched since (or no record) checks that group again before using it. A folder that cannot be
written only loses the record, with a warning: every later load then checks again. The record is
no workflow input (training depends on the dataset's marker file), so writing it never makes
finished runs out of date.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from rd4ad.data.arrays import binarize, final_mode, nonzero_defect, open_image
from rd4ad.data.cache import cache_key, source_listing
from rd4ad.data.listing import folders
from rd4ad.files.errors import RD4ADError, StorageError, UnreadableFileError
from rd4ad.files.io import atomic_write_json, read_mapping

RECORD = "rd4ad_validated.json"
CHECKS = 1  # the version of the checks below: raise it when they change, so older records are checked again
SHOWN = 3  # problems named after the first one

Problem = tuple[Path, str]


def _decoded(path: Path, problems: list[Problem]) -> Image.Image | None:
    try:
        return open_image(path)
    except UnreadableFileError as err:
        problems.append((path, f"unreadable ({err.detail})"))
        return None


def file_problems(image: Path, mask: Path | None = None, *, nonzero: bool = False) -> list[Problem]:
    """What is wrong with ``image`` and its ground-truth ``mask``: a file that does not decode, a mask
    of another size than its image, or a mask without a pixel the loader counts as defect (``nonzero``:
    every non-zero value is a defect, :func:`rd4ad.data.arrays.nonzero_defect`; else above half of 255)."""
    problems: list[Problem] = []
    decoded = _decoded(image, problems)
    truth = None if mask is None else _decoded(mask, problems)
    if truth is None:
        return problems
    if nonzero:
        truth = nonzero_defect(truth)
    if decoded is not None and truth.size != decoded.size:
        problems.append(
            (mask, "mask is {}×{} pixels but its image {} is {}×{}".format(*truth.size, image.name, *decoded.size))
        )
    elif not binarize(np.asarray(final_mode(truth, "L"))).any():
        rule = (
            "non-zero; masks are 0 = good, any other value = defect"
            if nonzero
            else ("above half of 255; masks are 0 = good, 255 = defect")
        )
        problems.append((mask, f"mask has no defect pixel (none {rule})"))
    return problems


def raise_problems(problems: list[Problem], fix: str) -> None:
    """One ``RD4ADError`` for all ``problems`` (nothing when there are none), ending with ``fix``."""
    if not problems:
        return
    (path, why), others = problems[0], problems[1:]
    text = f"{path}: {why}"
    if others:
        named = ", ".join(f"{p} ({w})" for p, w in others[:SHOWN])
        more = f" and {len(others) - SHOWN} more" if len(others) > SHOWN else ""
        text += f"; {len(others)} other problem{'s' if len(others) > 1 else ''}: {named}{more}"
    raise RD4ADError(f"{text}; {fix}")


def fingerprint(files: list[Path], root: Path) -> str:
    """The recorded identity of ``files``: their paths relative to ``root``, sizes and mtimes, and :data:`CHECKS`."""
    return cache_key({"checks": CHECKS}, source_listing(files, root))


def recorded(root: Path) -> dict[str, str]:
    """Group → fingerprint of the record in ``root`` (empty when there is none or it is unreadable)."""
    try:
        prints = read_mapping(root / RECORD, "").get("fingerprints")
    except RD4ADError:
        return {}
    return prints if isinstance(prints, dict) else {}


def validate_category_folders(
    root: str | os.PathLike,
    categories: tuple[str, ...] | None,
    *,
    not_found: str,
    missing: str,
    files: Callable[[str], list[Path]],
    problems: Callable[[str], list[Problem]],
    fix: str,
) -> list[str]:
    """A dataset whose categories are the folders of ``root`` (MVTec AD, MVTec LOCO, MVTec AD 2, one's own
    images): ``root`` exists (else ``not_found``) and holds every one of ``categories`` (``None``: whatever
    category folders exist, at least one; else ``missing``), each checked by ``validate_recorded``; the
    categories."""
    root = Path(root)
    if not root.is_dir():
        raise RD4ADError(f"{root}: {not_found}")
    found = [p.name for p in folders(root)]
    wanted = list(categories) if categories is not None else found
    absent = sorted(set(wanted) - set(found))
    if absent or not wanted:
        raise RD4ADError(f"{root}: {missing} {absent or '(none found)'}; {fix}")
    validate_recorded(root, wanted, files, problems, fix)
    return wanted


def validate_recorded(
    root: str | os.PathLike,
    groups: list[str],
    files: Callable[[str], list[Path]],
    problems: Callable[[str], list[Problem]],
    fix: str,
) -> None:
    """Check every group whose ``files(group)`` differ from the record with ``problems(group)``; raise
    one error for all the problems found, else record the groups' fingerprints."""
    root = Path(root)
    record = recorded(root)
    prints = {group: fingerprint(files(group), root) for group in groups}
    stale = [group for group in groups if record.get(group) != prints[group]]
    if not stale:
        return
    for group in stale:
        if group in record:
            print(f"{root / group}: files changed since the dataset was checked; checking them again", file=sys.stderr)
    raise_problems([p for group in stale for p in problems(group)], fix)
    try:
        atomic_write_json(root / RECORD, {"fingerprints": {**recorded(root), **{g: prints[g] for g in stale}}})
    except StorageError as err:
        print(
            f"warning: the check of {root} is not recorded ({err}); every load will check the images again",
            file=sys.stderr,
        )
