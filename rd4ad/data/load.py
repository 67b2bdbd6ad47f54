"""``load_split``: one entry point for every dataset (docs/architecture.md "Data contract")."""

from __future__ import annotations

import os
from pathlib import Path

from rd4ad.data import caltech, digits, folder, loco, mvtec, mvtec_ad2, torchvision_sets, visa
from rd4ad.data.arrays import SplitArrays
from rd4ad.data.cache import cached_split, source_listing
from rd4ad.data.choices import LOADERS
from rd4ad.files.errors import RD4ADError
from rd4ad.files.names import check_name

SPLITS = ("train", "test")


def _sources(dataset: str, root: Path, category: str) -> tuple[list[Path], Path]:
    if dataset == "mvtec":
        return mvtec.source_files(root, category), root
    if dataset == "caltech256":
        return caltech.source_files(root), root
    if dataset == "visa":
        return visa.source_files(root, category), root
    if dataset == "folder":
        return folder.source_files(root, category), root
    if dataset == "loco":
        return loco.source_files(root, category), root
    if dataset == "mvtec_ad2":
        return mvtec_ad2.source_files(root, category), root
    if dataset == "digits":
        files = digits.source_files()
        return files, files[0].parent
    return torchvision_sets.source_files(dataset, root), root


def _build(dataset: str, root: Path, category: str, split: str, image_size: int, protocol: dict) -> SplitArrays:
    if dataset == "caltech256":
        return caltech.load_caltech(root, category, split, image_size, **protocol)
    if protocol:
        raise RD4ADError(f"dataset {dataset!r} takes no protocol keys, got {sorted(protocol)}")
    if dataset == "mvtec":
        return mvtec.load_mvtec(root, category, split, image_size)
    if dataset == "digits":
        return digits.load_digits_split(category, split, image_size)
    if dataset == "visa":
        return visa.load_visa(root, category, split, image_size)
    if dataset == "folder":
        return folder.load_folder(root, category, split, image_size)
    if dataset == "loco":
        return loco.load_loco(root, category, split, image_size)
    if dataset == "mvtec_ad2":
        return mvtec_ad2.load_mvtec_ad2(root, category, split, image_size)
    return torchvision_sets.load_torchvision(dataset, root, category, split, image_size)


def load_split(
    dataset: str,
    root: str | os.PathLike,
    category: str,
    split: str,
    image_size: int,
    cache_dir: str | os.PathLike | None = None,
    **protocol,
) -> SplitArrays:
    """Decoded ``split`` of ``dataset``/``category`` at ``image_size``; cached in ``cache_dir`` if given.

    An MVTec AD, AD 2 or LOCO category, VisA object or own-images category is validated first: at no cost when its
    files are as the fetch recorded them (``rd4ad.data.validate``), else every image is decoded and
    checked before any is used.

    ``protocol``: Caltech-256 knobs (``n_inlier_categories``, ``outlier_ratio``,
    ``train_per_category``, ``protocol_seed``); other datasets take none.
    """
    if dataset not in LOADERS:
        raise RD4ADError(f"dataset {dataset!r}: choose one of {', '.join(LOADERS)}")
    if split not in SPLITS:
        raise RD4ADError(f"split {split!r}: choose 'train' or 'test'")
    if image_size < 1:
        raise RD4ADError(f"image_size must be >= 1, got {image_size}")
    check_name("category", category)
    root = Path(root)
    if dataset == "mvtec":
        mvtec.validate_mvtec(root, (category,))
    if dataset == "visa":
        visa.validate_visa(root, (category,))
    if dataset == "folder":
        folder.validate_folder(root, (category,))
    if dataset == "loco":
        loco.validate_loco(root, (category,))
    if dataset == "mvtec_ad2":
        mvtec_ad2.validate_mvtec_ad2(root, (category,))
    request = {"dataset": dataset, "split": split, "category": category, "image_size": image_size, "protocol": protocol}
    files, base = _sources(dataset, root, category) if cache_dir is not None else ([], root)
    return cached_split(
        cache_dir,
        request,
        source_listing(files, base),
        lambda: _build(dataset, root, category, split, image_size, protocol),
    )
