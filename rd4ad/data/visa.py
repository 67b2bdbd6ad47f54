"""VisA (12 objects, 9,621 normal / 1,200 anomalous images): archive source, validator, split loader.

Layout of ``VisA_20220922.tar`` (amazon-science/spot-diff README; anomalib's ``Visa`` datamodule
extracts it into its root and reads the same paths): ``<object>/Data/Images/Normal/*.JPG``,
``<object>/Data/Images/Anomaly/*.JPG``, ``<object>/Data/Masks/Anomaly/*.png`` and
``split_csv/1cls.csv``, the one-class split, with the header ``object,split,label,image,mask``:
``split`` is ``train`` or ``test``, ``label`` ``normal`` or ``anomaly``, ``image`` and ``mask``
paths relative to the root (``mask`` empty for a normal image). The CSV, not the folders, says
which image is train or test. Masks mark a defect with ANY non-zero value (0/1 or small class
values, not 0/255): read as VisA's ``utils/prepare_data.py`` binarises them
(:func:`rd4ad.data.arrays.nonzero_defect`). Entries of the image and mask folders are listed by the
rule every loader shares (``rd4ad.data.listing``); a visible file there that the CSV does not name
is reported, never skipped.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from rd4ad.data.archive import fetch_archive
from rd4ad.data.arrays import (
    GOOD,
    SplitArrays,
    decode_split,
    nonzero_defect,
    open_image,
)
from rd4ad.data.download import RemoteFile
from rd4ad.data.listing import visible
from rd4ad.data.validate import Problem, file_problems, validate_recorded
from rd4ad.files.errors import RD4ADError
from rd4ad.files.paths import under

CATEGORIES = (
    "candle",
    "capsules",
    "cashew",
    "chewinggum",
    "fryum",
    "macaroni1",
    "macaroni2",
    "pcb1",
    "pcb2",
    "pcb3",
    "pcb4",
    "pipe_fryum",
)
SPLIT_CSV = Path("split_csv") / "1cls.csv"
COLUMNS = ["object", "split", "label", "image", "mask"]
SPLITS, LABELS = ("train", "test"), ("normal", "anomaly")
FOLDERS = (Path("Data") / "Images" / "Normal", Path("Data") / "Images" / "Anomaly", Path("Data") / "Masks" / "Anomaly")
ARCHIVE = RemoteFile(
    url="https://amazon-visual-anomaly.s3.us-west-2.amazonaws.com/VisA_20220922.tar",
    hash_name="sha256",
    digest="2eb8690c803ab37de0324772964100169ec8ba1fa3f7e94291c9ca673f40f362",
    source="anomalib's Visa datamodule (DOWNLOAD_INFO.hashsum); not verified offline here",
)
FIX = "repair or remove what is named, or delete the folder and run `python -m rd4ad fetch visa` again"


def split_rows(root: Path) -> list[dict[str, str]]:
    """The rows of ``split_csv/1cls.csv``; an ``RD4ADError`` naming the file and line for a malformed one."""
    path = root / SPLIT_CSV
    if not path.is_file():
        raise RD4ADError(f"{path}: VisA's one-class split file is missing; {FIX}")
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        if reader.fieldnames != COLUMNS:
            raise RD4ADError(f"{path}: header {reader.fieldnames} is not {','.join(COLUMNS)}; {FIX}")
        rows = list(reader)
    for line, row in enumerate(rows, start=2):
        anomalous = row["label"] == "anomaly"
        if row["split"] not in SPLITS or row["label"] not in LABELS or (row["split"] == "train" and anomalous):
            raise RD4ADError(f"{path}:{line}: split {row['split']!r} / label {row['label']!r} is not one-class; {FIX}")
        if bool(row["mask"]) != (anomalous and row["split"] == "test"):
            raise RD4ADError(f"{path}:{line}: an anomalous test image needs a mask, any other none; {FIX}")
    return rows


def _rows(root: Path, category: str, split: str | None = None) -> list[dict[str, str]]:
    return [r for r in split_rows(root) if r["object"] == category and split in (None, r["split"])]


def _path(root: Path, relative: str) -> Path:
    return under(root, *Path(relative).parts)


def category_problems(root: str | os.PathLike, category: str) -> list[Problem]:
    """Every problem of one object, sorted by path: no train or no anomalous test row, a named file
    missing or not decoding, a mask of another size or without a non-zero pixel, a visible file of
    the image and mask folders that the CSV does not name."""
    root = Path(root)
    rows = _rows(root, category)
    problems: list[Problem] = []
    if not any(r["split"] == "train" for r in rows) or not any(r["label"] == "anomaly" for r in rows):
        problems.append((root / SPLIT_CSV, f"names no train image or no anomalous test image of {category}"))
    named = set()
    for row in rows:
        image = _path(root, row["image"])
        mask = _path(root, row["mask"]) if row["mask"] else None
        named |= {image, mask}
        for path in (image, mask):
            if path is not None and not path.is_file():
                problems.append((path, f"named by {SPLIT_CSV} but missing"))
        if image.is_file() and (mask is None or mask.is_file()):
            problems += file_problems(image, mask, nonzero=True)
    for folder in FOLDERS:
        problems += [(p, f"not named by {SPLIT_CSV}") for p in visible(root / category / folder) if p not in named]
    return sorted(problems)


def validate_visa(root: str | os.PathLike, categories: tuple[str, ...] = CATEGORIES) -> list[str]:
    """Validate a VisA folder (the split CSV, then each object of ``categories``, its files decoded
    unless as recorded when it last passed, ``rd4ad.data.validate``) and return the objects."""
    root = Path(root)
    if not root.is_dir():
        raise RD4ADError(f"{root}: VisA folder not found; run `python -m rd4ad fetch visa --root {root}`")
    known = {r["object"] for r in split_rows(root)}
    missing = sorted(set(categories) - known)
    if missing:
        raise RD4ADError(f"{root / SPLIT_CSV}: names no image of {missing}; {FIX}")
    validate_recorded(
        root, list(categories), lambda c: source_files(root, c), lambda c: category_problems(root, c), FIX
    )
    return list(categories)


def fetch_visa(root: str | os.PathLike, mirror: str | None = None, remote: RemoteFile = ARCHIVE) -> Path:
    """The folder ``root`` holding VisA, downloaded from ``remote`` (or ``<mirror>/VisA_20220922.tar``)
    if not there (an existing copy: :func:`validate_visa`)."""
    return fetch_archive(remote, root, lambda folder: validate_visa(folder), mirror=mirror)


def load_visa(root: str | os.PathLike, category: str, split: str, image_size: int) -> SplitArrays:
    """Decode the ``train`` or ``test`` rows of one object that :func:`validate_visa` accepted; the
    defect name of an anomalous image is ``anomaly`` (the one-class CSV gives no defect type)."""
    root = Path(root)

    def entries():
        for row in _rows(root, category, split):
            image = _path(root, row["image"])
            mask = nonzero_defect(open_image(_path(root, row["mask"]))) if row["mask"] else None
            yield (
                image,
                mask,
                f"{split}/{row['label']}/{image.stem}",
                GOOD if row["label"] == "normal" else row["label"],
            )

    return decode_split(entries(), image_size)


def source_files(root: str | os.PathLike, category: str) -> list[Path]:
    """Files a split of ``category`` is decoded from (the cache fingerprints them): the CSV and the object's folders."""
    root = Path(root)
    return sorted([root / SPLIT_CSV, *(p for p in under(root, category).rglob("*") if p.is_file())])
