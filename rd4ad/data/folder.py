"""``folder``: one's own images, in the spirit of anomalib's ``Folder`` datamodule: layout, validator, split loader.

Each category is a sub-folder of the dataset root holding either

- folders: ``normal/`` (good images), ``abnormal/`` (defective test images), optionally
  ``normal_test/`` (good test images; without it every fifth good image in name order is held
  out for the test, 20 % as anomalib's default ``normal_split_ratio``) and ``mask/`` (one mask per
  abnormal image, same stem, any image suffix; without it the set has no pixel metrics); or
- ``split.csv`` with the header ``image,split,label,mask``: paths relative to the category folder,
  ``split`` train or test, ``label`` normal or abnormal (train rows normal), ``mask`` empty for a
  normal image and for none at all.

Images: the suffixes of :data:`SUFFIXES`, any case, any mode (converted to RGB). Masks: every
non-zero value is a defect (0/1 and 0/255 alike, :func:`rd4ad.data.arrays.nonzero_defect`);
keep masks lossless (PNG), as JPEG noise would count. Entries are listed by the rule every loader
shares (``rd4ad.data.listing``): hidden files ignored, any other file in these folders reported.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from rd4ad.data.arrays import (
    GOOD,
    SplitArrays,
    decode_split,
    nonzero_defect,
    open_image,
)
from rd4ad.data.listing import images, visible
from rd4ad.data.validate import Problem, file_problems, validate_category_folders
from rd4ad.files.errors import RD4ADError
from rd4ad.files.paths import under

SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")  # anomalib's IMG_EXTENSIONS
NORMAL, ABNORMAL, NORMAL_TEST, MASK = "normal", "abnormal", "normal_test", "mask"
SPLIT_CSV = "split.csv"
COLUMNS = ["image", "split", "label", "mask"]
HELD_OUT = 5  # without normal_test/: every fifth good image (name order) is a test image
FIX = (
    "repair or remove what is named (docs/datasets.md, own images), then run `python -m rd4ad fetch folder --local DIR`"
)


@dataclass(frozen=True)
class Sample:
    """One image of a category: where it is, its split, whether it is defective, its mask (or None)."""

    image: Path
    split: str
    abnormal: bool
    mask: Path | None


def _from_csv(folder: Path) -> list[Sample]:
    path = folder / SPLIT_CSV
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        if reader.fieldnames != COLUMNS:
            raise RD4ADError(f"{path}: header {reader.fieldnames} is not {','.join(COLUMNS)}; {FIX}")
        rows = list(reader)
    samples = []
    for line, row in enumerate(rows, start=2):
        split, label = row["split"], row["label"]
        if split not in ("train", "test") or label not in (NORMAL, ABNORMAL) or (split, label) == ("train", ABNORMAL):
            raise RD4ADError(f"{path}:{line}: split {split!r} / label {label!r}: train rows are normal; {FIX}")
        if row["mask"] and label != ABNORMAL:
            raise RD4ADError(f"{path}:{line}: a normal image has no mask; {FIX}")
        mask = under(folder, *Path(row["mask"]).parts) if row["mask"] else None
        samples.append(Sample(under(folder, *Path(row["image"]).parts), split, label == ABNORMAL, mask))
    return samples


def _from_folders(folder: Path) -> list[Sample]:
    good = images(folder / NORMAL, SUFFIXES)
    if (folder / NORMAL_TEST).is_dir():
        train, test = good, images(folder / NORMAL_TEST, SUFFIXES)
    else:
        train = [p for k, p in enumerate(good) if k % HELD_OUT != HELD_OUT - 1]
        test = [p for k, p in enumerate(good) if k % HELD_OUT == HELD_OUT - 1]
    masks = {p.stem: p for p in images(folder / MASK, SUFFIXES)}
    has_masks = (folder / MASK).is_dir()
    bad = [
        Sample(p, "test", True, masks.get(p.stem, folder / MASK / f"{p.stem}.png") if has_masks else None)
        for p in images(folder / ABNORMAL, SUFFIXES)
    ]
    return [Sample(p, "train", False, None) for p in train] + [Sample(p, "test", False, None) for p in test] + bad


def samples(root: str | os.PathLike, category: str) -> list[Sample]:
    """Every image of ``category`` with its split and mask, from ``split.csv`` if there, else the folders."""
    folder = under(root, category)
    return _from_csv(folder) if (folder / SPLIT_CSV).is_file() else _from_folders(folder)


def category_problems(root: str | os.PathLike, category: str) -> list[Problem]:
    """Every problem of one category, sorted by path: no train or no abnormal image, a file missing,
    not an image (by suffix) or not decoding, a mask of another size or without a non-zero pixel,
    masks for some abnormal images only, a mask without its image."""
    folder = under(root, category)
    found = samples(root, category)
    problems: list[Problem] = []
    if not any(s.split == "train" for s in found):
        problems.append((folder / NORMAL, "no training image (normal/ or split.csv train rows)"))
    if not any(s.abnormal for s in found):
        problems.append((folder / ABNORMAL, "no abnormal image (abnormal/ or split.csv abnormal rows)"))
    bad = [s for s in found if s.abnormal]
    if any(s.mask is None for s in bad) and any(s.mask is not None for s in bad):
        problems.append((folder, "some abnormal images have a mask and some none; give all or none"))
    for sample in found:
        missing = [p for p in (sample.image, sample.mask) if p is not None and not p.is_file()]
        problems += [
            (p, "missing" + (f" (the mask of {sample.image.name})" if p == sample.mask else "")) for p in missing
        ]
        if not missing:
            problems += file_problems(sample.image, sample.mask, nonzero=True)
    named = {p for s in found for p in (s.image, s.mask)}
    for sub in (NORMAL, ABNORMAL, NORMAL_TEST, MASK):
        for path in visible(folder / sub):
            if path.suffix.lower() not in SUFFIXES or not path.is_file():
                problems.append((path, f"not an image file (suffixes: {' '.join(SUFFIXES)})"))
            elif path not in named:
                problems.append(
                    (path, "a mask without an abnormal image" if sub == MASK else f"not named by {SPLIT_CSV}")
                )
    return sorted(problems)


def validate_folder(root: str | os.PathLike, categories: tuple[str, ...] | None = None) -> list[str]:
    """Validate one's own images (every category folder, or ``categories``) and return the categories;
    each checked as :func:`category_problems` says, its files decoded unless as recorded when it last
    passed (``rd4ad.data.validate``)."""
    root = Path(root)
    return validate_category_folders(
        root,
        categories,
        not_found=f"image folder not found; {FIX}",
        missing="no category folder",
        files=lambda c: source_files(root, c),
        problems=lambda c: category_problems(root, c),
        fix=FIX,
    )


def load_folder(root: str | os.PathLike, category: str, split: str, image_size: int) -> SplitArrays:
    """Decode ``train`` or ``test`` of a category :func:`validate_folder` accepted (masks None when it has none)."""
    chosen = [s for s in samples(root, category) if s.split == split]
    with_masks = any(s.mask is not None for s in samples(root, category))
    entries = (
        (
            s.image,
            None if s.mask is None else nonzero_defect(open_image(s.mask)),
            f"{split}/{ABNORMAL if s.abnormal else GOOD}/{s.image.stem}",
            ABNORMAL if s.abnormal else GOOD,
        )
        for s in chosen
    )
    return decode_split(entries, image_size, masks=with_masks)


def source_files(root: str | os.PathLike, category: str) -> list[Path]:
    """Files a split of ``category`` is decoded from (the cache fingerprints them)."""
    return sorted(p for p in under(root, category).rglob("*") if p.is_file())
