"""MVTec LOCO AD (5 categories; logical and structural anomalies): archive source, validator, split loader.

Layout (MVTec LOCO AD readme; anomalib's ``MVTecLOCODataset`` reads the same):
``<cat>/train/good/*.png``, ``<cat>/validation/good/*.png``,
``<cat>/test/{good,logical_anomalies,structural_anomalies}/*.png`` and, per anomalous test image
``<stem>.png``, a folder ``<cat>/ground_truth/<type>/<stem>/`` of masks ``000.png``, ``001.png``, …,
one per annotated defect, whose non-zero value is that defect type's ``pixel_value`` in
``<cat>/defects_config.json`` (not always 255). The image's mask is the union of its masks, every
non-zero value a defect, as anomalib stacks them and takes ``any``
(:func:`rd4ad.data.arrays.nonzero_defect`). The ``defects`` of a test image is its type, so
logical and structural anomalies can be scored apart (each with the good test images) and
together. ``validation/good`` is checked and loadable (``load_loco(..., "validation", ...)``); the
paper's protocol selects nothing on it. Entries are listed by the rule every loader shares
(``rd4ad.data.listing``): hidden files ignored, any other non-PNG file reported.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from rd4ad.data.archive import fetch_archive
from rd4ad.data.arrays import (
    GOOD,
    SplitArrays,
    decode_split,
    nonzero_defect,
    open_image,
)
from rd4ad.data.download import RemoteFile
from rd4ad.data.listing import folders, images, visible
from rd4ad.data.validate import Problem, file_problems, validate_category_folders
from rd4ad.files.paths import under

CATEGORIES = ("breakfast_box", "juice_bottle", "pushpins", "screw_bag", "splicing_connectors")
TYPES = ("logical_anomalies", "structural_anomalies")
SPLITS = ("train", "validation", "test")
PNG = (".png",)
ARCHIVE = RemoteFile(
    url="https://www.mydrive.ch/shares/48237/1b9106ccdfbb09a0c414bd49fe44a14a/download/430647091-1646842701/"
    "mvtec_loco_anomaly_detection.tar.xz",
    hash_name="md5",
    digest="d40f092ac6f88433f609583c4a05f56f",
    source="an anomalib-based MVTec LOCO datamodule's DOWNLOAD_INFO (MVTec publishes none); not verified offline",
)
FIX = "repair or remove what is named, or delete the folder and run `python -m rd4ad fetch loco` again"


def _folders(root: Path, category: str, split: str) -> list[Path]:
    folder = under(root, category)
    return (
        [folder / split / GOOD] if split != "test" else [folder / "test" / GOOD, *(folder / "test" / t for t in TYPES)]
    )


def masks_of(root: Path, category: str, image: Path) -> list[Path]:
    """The per-defect masks of an anomalous test image: ``ground_truth/<type>/<stem>/*.png``, sorted."""
    return images(under(root, category) / "ground_truth" / image.parent.name / image.stem, PNG)


def union_mask(paths: list[Path]) -> Image.Image:
    """One 0/255 L mask: a pixel is a defect where any of the per-defect masks is non-zero."""
    arrays = [np.asarray(nonzero_defect(open_image(p))) for p in paths]
    return Image.fromarray(np.maximum.reduce(arrays), "L")


def category_problems(root: str | os.PathLike, category: str) -> list[Problem]:
    """Every problem of one category, sorted by path: a missing or empty split folder, an anomalous
    image without masks, a mask folder without its image, a non-PNG file, and what
    :func:`rd4ad.data.validate.file_problems` finds in each image and each of its masks."""
    root = Path(root)
    folder = under(root, category)
    problems: list[Problem] = []
    for split in SPLITS:
        for sub in _folders(root, category, split):
            pngs = images(sub, PNG)
            if not pngs:
                problems.append((sub, "missing or holds no .png images"))
            problems += [(p, "not a .png file (MVTec LOCO images are PNG)") for p in visible(sub) if p not in pngs]
            for image in pngs:
                masks = masks_of(root, category, image) if sub.name in TYPES else []
                if sub.name in TYPES and not masks:
                    problems.append((folder / "ground_truth" / sub.name / image.stem, f"no mask for {image}"))
                problems += file_problems(image) if not masks else []
                for mask in masks:
                    problems += file_problems(image, mask, nonzero=True)
    for kind in TYPES:
        stems = {p.stem for p in images(folder / "test" / kind, PNG)}
        for sub in folders(folder / "ground_truth" / kind):
            if sub.name not in stems:
                problems.append((sub, "masks without a test image"))
            problems += [(p, "not a .png file") for p in visible(sub) if p.suffix.lower() not in PNG]
    return sorted(set(problems))


def validate_loco(root: str | os.PathLike, categories: tuple[str, ...] = CATEGORIES) -> list[str]:
    """Validate an MVTec LOCO folder (each of ``categories`` by :func:`category_problems`, its files
    decoded unless as recorded when it last passed, ``rd4ad.data.validate``); return the categories."""
    root = Path(root)
    return validate_category_folders(
        root,
        categories,
        not_found=f"MVTec LOCO folder not found; run `python -m rd4ad fetch loco --root {root}`",
        missing="missing MVTec LOCO categories",
        files=lambda c: source_files(root, c),
        problems=lambda c: category_problems(root, c),
        fix=FIX,
    )


def fetch_loco(root: str | os.PathLike, mirror: str | None = None, remote: RemoteFile = ARCHIVE) -> Path:
    """The folder ``root`` holding MVTec LOCO AD, downloaded from ``remote`` (or
    ``<mirror>/mvtec_loco_anomaly_detection.tar.xz``) if not there (an existing copy: :func:`validate_loco`)."""
    return fetch_archive(remote, root, lambda folder: validate_loco(folder), mirror=mirror)


def load_loco(root: str | os.PathLike, category: str, split: str, image_size: int) -> SplitArrays:
    """Decode ``train``, ``validation`` (good only) or ``test`` (good, logical and structural, masks the
    union of each image's per-defect masks) of a category :func:`validate_loco` accepted."""
    root = Path(root)

    def entries():
        for sub in _folders(root, category, split):
            for path in images(sub, PNG):
                truth = masks_of(root, category, path) if sub.name in TYPES else []
                yield path, union_mask(truth) if truth else None, f"{split}/{sub.name}/{path.stem}", sub.name

    return decode_split(entries(), image_size)


def source_files(root: str | os.PathLike, category: str) -> list[Path]:
    """Files a split of ``category`` is decoded from (the cache fingerprints them)."""
    return sorted(p for p in under(root, category).rglob("*") if p.is_file())
