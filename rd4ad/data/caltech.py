"""Caltech-256 novelty protocol (Table 4 column Caltech-256: one inlier category, 50 % outliers by default).

Repeat ``r<k>`` draws, with ``numpy.random.default_rng([protocol_seed, k])``,
``n_inlier_categories`` inlier categories among ``001``…``256`` (never ``257.clutter``). Each
inlier category's images (sorted, then shuffled by the same generator) give
``min(train_per_category, floor(2/3 · n))`` training images; the rest are inlier test images.
Outliers are drawn without replacement from ``257.clutter`` so that they make up
``outlier_ratio`` of the test set (``round(n_in · r / (1 − r))`` of them). Images are
converted to RGB and use ImageNet normalisation.

A category's images are its visible ``.jpg`` files (``rd4ad.data.listing``): hidden files such as
macOS's ``._x.jpg``, the archive's stray ``198.spider/RENAME2`` and sub-folders such as
``056.dog/greg/`` are not. The fetch decodes every image (``rd4ad.data.validate``, recorded per
category like MVTec AD's), so a damaged JPEG stops the fetch, named, not a job.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from rd4ad.data.archive import fetch_archive
from rd4ad.data.arrays import SplitArrays, open_image, resize_image, stack_images
from rd4ad.data.download import RemoteFile
from rd4ad.data.listing import folders, images
from rd4ad.data.validate import file_problems, validate_recorded
from rd4ad.files.errors import RD4ADError

ARCHIVE = RemoteFile(
    url="https://data.caltech.edu/records/nyy15-4j048/files/256_ObjectCategories.tar",
    hash_name="md5",
    digest="67b4f42ca05d46448c6bb8ecd2220f6d",
    source="torchvision.datasets.Caltech256.download (md5=...)",
)
FOLDER = "256_ObjectCategories"
CLUTTER = "257.clutter"
N_CATEGORIES = 257
FIX = "delete the folder and run `python -m rd4ad fetch caltech256` again"
JPEG = (".jpg",)


def _images(folder: Path) -> list[Path]:
    return images(folder, JPEG)


def categories(root: str | os.PathLike) -> list[Path]:
    """Category folders ``NNN.name`` under ``<root>/256_ObjectCategories``, sorted."""
    folder = Path(root) / FOLDER
    if not folder.is_dir():
        raise RD4ADError(f"{folder}: Caltech-256 not found; run `python -m rd4ad fetch caltech256 --root {root}`")
    return [p for p in folders(folder) if p.name[:3].isdigit()]


def _category_problems(folder: Path) -> list[tuple[Path, str]]:
    found = _images(folder)
    return [p for image in found for p in file_problems(image)] if found else [(folder, "holds no .jpg images")]


def validate_caltech(root: str | os.PathLike, n_categories: int = N_CATEGORIES) -> None:
    """Check ``n_categories`` non-empty category folders including ``257.clutter`` and decode every
    image, unless a category's files are as recorded when it last passed."""
    found = categories(root)
    if len(found) != n_categories or found[-1].name != CLUTTER:
        raise RD4ADError(
            f"{Path(root) / FOLDER}: expected {n_categories} category folders ending with {CLUTTER}, "
            f"found {len(found)}; {FIX}"
        )
    groups = {f"{FOLDER}/{folder.name}": folder for folder in found}
    validate_recorded(root, list(groups), lambda g: _images(groups[g]), lambda g: _category_problems(groups[g]), FIX)


def fetch_caltech(
    root: str | os.PathLike, mirror: str | None = None, remote: RemoteFile = ARCHIVE, n_categories: int = N_CATEGORIES
) -> Path:
    """Download, MD5-check and extract Caltech-256 into ``root`` (kept if already valid)."""
    return fetch_archive(remote, root, lambda folder: validate_caltech(folder, n_categories), mirror=mirror)


def protocol_files(
    root: str | os.PathLike,
    repeat: int,
    n_inlier_categories: int = 1,
    outlier_ratio: float = 0.5,
    train_per_category: int = 150,
    protocol_seed: int = 0,
) -> dict[str, list[tuple[Path, int]]]:
    """``{"train": [(path, label)], "test": [...]}`` of one repeat (label 1 = outlier)."""
    if not 0.0 < outlier_ratio < 1.0:
        raise RD4ADError(f"outlier_ratio = {outlier_ratio}: must be in (0, 1)")
    found = categories(root)
    inlier_pool = [p for p in found if p.name != CLUTTER]
    clutter = Path(root) / FOLDER / CLUTTER
    if not clutter.is_dir() or not 1 <= n_inlier_categories <= len(inlier_pool):
        raise RD4ADError(
            f"{Path(root) / FOLDER}: needs {CLUTTER} and at least n_inlier_categories = "
            f"{n_inlier_categories} other categories; {FIX}"
        )
    rng = np.random.default_rng([protocol_seed, repeat])
    train, test = [], []
    for pick in sorted(rng.choice(len(inlier_pool), n_inlier_categories, replace=False)):
        files = _images(inlier_pool[pick])
        files = [files[i] for i in rng.permutation(len(files))]
        n_train = min(train_per_category, (2 * len(files)) // 3)
        train += [(p, 0) for p in files[:n_train]]
        test += [(p, 0) for p in files[n_train:]]
    outliers = _images(clutter)
    n_out = round(len(test) * outlier_ratio / (1.0 - outlier_ratio))
    if n_out > len(outliers):
        raise RD4ADError(
            f"{clutter}: {n_out} outliers needed for outlier_ratio = {outlier_ratio} but only "
            f"{len(outliers)} images; lower outlier_ratio or n_inlier_categories"
        )
    test += [(outliers[i], 1) for i in sorted(rng.choice(len(outliers), n_out, replace=False))]
    return {"train": train, "test": test}


def parse_repeat(category: str) -> int:
    """Caltech category ``"r<k>"`` → repeat index ``k``."""
    if not (category.startswith("r") and category[1:].isdigit()):
        raise RD4ADError(f"category {category!r}: a Caltech-256 category is a repeat id 'r0', 'r1', …")
    return int(category[1:])


def load_caltech(root: str | os.PathLike, category: str, split: str, image_size: int, **protocol) -> SplitArrays:
    """Decode one split of repeat ``category`` (protocol knobs: see :func:`protocol_files`)."""
    files = protocol_files(root, parse_repeat(category), **protocol)[split]
    images = [resize_image(open_image(path), image_size) for path, _ in files]
    return SplitArrays(
        stack_images(images, image_size),
        np.array([lbl for _, lbl in files], dtype=np.int64),
        None,
        [f"{split}/{p.parent.name}/{p.stem}" for p, _ in files],
        [p.parent.name for p, _ in files],
        normalize=True,
    )


def source_files(root: str | os.PathLike) -> list[Path]:
    """Every category's images (fingerprinted by the cache)."""
    return [p for folder in categories(root) for p in _images(folder)]
