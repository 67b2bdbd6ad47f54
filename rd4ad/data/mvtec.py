"""MVTec AD (15 categories, 3,629 train / 1,725 test images): archive source, layout validator, split loader.

The same loader reads the real archive and the synthetic set (``python -m rd4ad synth``):
``<cat>/train/good/*.png``, ``<cat>/test/<defect>/*.png``,
``<cat>/ground_truth/<defect>/<stem>_mask.png`` (one mask per defective test image).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from rd4ad.data.archive import fetch_archive
from rd4ad.data.arrays import SplitArrays, open_image, resize_image, resize_mask, stack_images
from rd4ad.data.download import RemoteFile
from rd4ad.errors import RD4ADError
from rd4ad.paths import under

CATEGORIES = ("carpet", "grid", "leather", "tile", "wood", "bottle", "cable", "capsule", "hazelnut",
              "metal_nut", "pill", "screw", "toothbrush", "transistor", "zipper")
GOOD = "good"
ARCHIVE = RemoteFile(
    url="https://www.mydrive.ch/shares/38536/3830184030e49fe74747669442f0f282/download/"
        "420938113-1629952094/mvtec_anomaly_detection.tar.xz",
    hash_name="sha256",
    digest="cf4313b13603bec67abb49ca959488f7eedce2a9f7795ec54446c649ac98cd3d",
    source="anomalib's MVTecAD datamodule (DOWNLOAD_INFO.hashsum); the archive is 5,264,982,680 bytes",
)
FIX = "delete the folder and run `python -m rd4ad fetch mvtec` (or `synth`) again"


def _pngs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.png"))


def _dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def mask_path(root: Path, category: str, defect: str, image: Path) -> Path:
    """Ground-truth mask of a defective test image: ``ground_truth/<defect>/<stem>_mask.png``."""
    return root / category / "ground_truth" / defect / f"{image.stem}_mask.png"


def validate_category(root: str | os.PathLike, category: str) -> None:
    """Check one category's layout; raise ``RD4ADError`` naming the first missing/empty piece."""
    root = Path(root)
    folder = under(root, category)
    train = folder / "train" / GOOD
    if not train.is_dir() or not _pngs(train):
        raise RD4ADError(f"{train}: missing or holds no .png images; {FIX}")
    test = folder / "test"
    defects = _dirs(test) if test.is_dir() else []
    if not defects:
        raise RD4ADError(f"{test}: missing or holds no defect folders; {FIX}")
    for defect_dir in defects:
        images = _pngs(defect_dir)
        if not images:
            raise RD4ADError(f"{defect_dir}: holds no .png images; {FIX}")
        if defect_dir.name == GOOD:
            continue
        masks = {p.name for p in _pngs(folder / "ground_truth" / defect_dir.name)}
        for image in images:
            if mask_path(root, category, defect_dir.name, image).name not in masks:
                raise RD4ADError(f"{mask_path(root, category, defect_dir.name, image)}: missing ground-truth mask "
                                 f"for {image}; {FIX}")
        extra = masks - {f"{p.stem}_mask.png" for p in images}
        if extra:
            raise RD4ADError(f"{folder / 'ground_truth' / defect_dir.name}: masks without a test image "
                             f"({sorted(extra)[:3]}); {FIX}")


def validate_mvtec(root: str | os.PathLike, categories: tuple[str, ...] | None = None) -> list[str]:
    """Validate an MVTec-layout folder and return its categories.

    ``categories=None`` accepts whatever category folders exist (at least one: the synthetic
    set); the real archive is checked with :data:`CATEGORIES` (all 15 must be present).
    """
    root = Path(root)
    if not root.is_dir():
        raise RD4ADError(f"{root}: MVTec folder not found; run `python -m rd4ad fetch mvtec --root {root}` "
                         f"or `python -m rd4ad synth --out {root}`")
    found = [p.name for p in _dirs(root)]
    wanted = list(categories) if categories is not None else found
    missing = sorted(set(wanted) - set(found))
    if missing or not wanted:
        raise RD4ADError(f"{root}: missing MVTec categories {missing or '(none found)'}; {FIX}")
    for category in wanted:
        validate_category(root, category)
    return wanted


def fetch_mvtec(root: str | os.PathLike, mirror: str | None = None, mvtec_root: str | os.PathLike | None = None,
                remote: RemoteFile = ARCHIVE) -> Path:
    """The folder holding MVTec AD: ``mvtec_root`` (an existing copy, validated), else ``root``
    (downloaded from ``remote`` or ``<mirror>/mvtec_anomaly_detection.tar.xz`` if not there)."""
    if mvtec_root is not None:
        validate_mvtec(mvtec_root, CATEGORIES)
        return Path(mvtec_root)
    return fetch_archive(remote, root, lambda folder: validate_mvtec(folder, CATEGORIES), mirror=mirror)


def load_mvtec(root: str | os.PathLike, category: str, split: str, image_size: int) -> SplitArrays:
    """Decode ``train`` (good only) or ``test`` (good + every defect, masks from ground_truth)."""
    root = Path(root)
    validate_category(root, category)
    folders = [root / category / "train" / GOOD] if split == "train" else _dirs(root / category / "test")
    images, masks, names, defects = [], [], [], []
    blank = np.zeros((image_size, image_size), np.uint8)
    for folder in folders:
        for path in _pngs(folder):
            images.append(resize_image(open_image(path), image_size))
            masks.append(blank if folder.name == GOOD else
                         resize_mask(open_image(mask_path(root, category, folder.name, path)), image_size))
            names.append(f"{split}/{folder.name}/{path.stem}")
            defects.append(folder.name)
    labels = np.array([d != GOOD for d in defects], dtype=np.int64)
    mask_array = np.stack(masks) if masks else np.zeros((0, image_size, image_size), np.uint8)
    return SplitArrays(stack_images(images, image_size), labels, mask_array, names, defects, normalize=True)


def source_files(root: str | os.PathLike, category: str) -> list[Path]:
    """Files a split of ``category`` is decoded from (the cache fingerprints them)."""
    return sorted(p for p in under(root, category).rglob("*") if p.is_file())
