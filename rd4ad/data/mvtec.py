"""MVTec AD (15 categories, 3,629 train / 1,725 test images): archive source, validator, split loader.

The same loader reads the real archive and the synthetic set (``python -m rd4ad synth``):
``<cat>/train/good/*.png``, ``<cat>/test/<defect>/*.png``,
``<cat>/ground_truth/<defect>/<stem>_mask.png`` (one mask per defective test image). Entries are
listed by the rule every loader shares (``rd4ad.data.listing``): ``.png`` in any case, hidden files
(``.DS_Store``, ``._x.png``) ignored; any other file in these folders is reported, never skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

from rd4ad.data.archive import fetch_archive
from rd4ad.data.arrays import GOOD, SplitArrays, decode_split, open_image
from rd4ad.data.download import RemoteFile
from rd4ad.data.listing import folders, images, visible
from rd4ad.data.validate import file_problems, validate_category_folders
from rd4ad.files.paths import under

CATEGORIES = (
    "carpet",
    "grid",
    "leather",
    "tile",
    "wood",
    "bottle",
    "cable",
    "capsule",
    "hazelnut",
    "metal_nut",
    "pill",
    "screw",
    "toothbrush",
    "transistor",
    "zipper",
)
MASK = "_mask"
ARCHIVE = RemoteFile(
    url="https://www.mydrive.ch/shares/38536/3830184030e49fe74747669442f0f282/download/"
    "420938113-1629952094/mvtec_anomaly_detection.tar.xz",
    hash_name="sha256",
    digest="cf4313b13603bec67abb49ca959488f7eedce2a9f7795ec54446c649ac98cd3d",
    source="anomalib's MVTecAD datamodule (DOWNLOAD_INFO.hashsum); the archive is 5,264,982,680 bytes",
)
FIX = "repair or remove what is named, or delete the folder and run `python -m rd4ad fetch mvtec` (or `synth`) again"


PNG = (".png",)


def _pngs(folder: Path) -> list[Path]:
    return images(folder, PNG)


def mask_path(root: Path, category: str, defect: str, image: Path) -> Path:
    """Ground-truth mask of a defective test image: ``ground_truth/<defect>/<stem>_mask.png``."""
    return root / category / "ground_truth" / defect / f"{image.stem}{MASK}.png"


def _masks(folder: Path) -> dict[str, Path]:
    """The masks of one ground-truth folder by the stem of their test image (``<stem>_mask.png``, any case of .png)."""
    return {p.stem.removesuffix(MASK): p for p in _pngs(folder) if p.stem.endswith(MASK)}


def category_problems(root: str | os.PathLike, category: str) -> list[tuple[Path, str]]:
    """Every problem of one category, sorted by path: missing or empty folders, a defective test image
    without its mask or a mask without its image, a file that is not a .png, and what
    :func:`rd4ad.data.validate.file_problems` finds in each image and mask (all are decoded)."""
    root = Path(root)
    folder = under(root, category)
    train, test, truth = folder / "train" / GOOD, folder / "test", folder / "ground_truth"
    problems = [(train, "missing or holds no .png images")] if not _pngs(train) else []
    defects = folders(test)
    if not defects:
        problems.append((test, "missing or holds no defect folders"))
    problems += [problem for image in _pngs(train) for problem in file_problems(image)]
    paired = set()
    for defect_dir in defects:
        images = _pngs(defect_dir)
        if not images:
            problems.append((defect_dir, "holds no .png images"))
        masks = {} if defect_dir.name == GOOD else _masks(truth / defect_dir.name)
        for image in images:
            mask = masks.get(image.stem)
            if defect_dir.name != GOOD and mask is None:
                problems.append(
                    (mask_path(root, category, defect_dir.name, image), f"missing ground-truth mask for {image}")
                )
            problems += file_problems(image, mask)
            paired.add(mask)
    for truth_dir in folders(truth):
        problems += [(p, "mask without a test image") for p in _pngs(truth_dir) if p not in paired]
    for image_dir in (train, *defects, *folders(truth)):
        pngs = set(_pngs(image_dir))
        problems += [
            (p, "not a .png file (MVTec images and masks are PNG)") for p in visible(image_dir) if p not in pngs
        ]
    return sorted(problems)


def validate_mvtec(root: str | os.PathLike, categories: tuple[str, ...] | None = None) -> list[str]:
    """Validate an MVTec-layout folder and return its categories.

    ``categories=None`` accepts whatever category folders exist (at least one: the synthetic
    set); the real archive is checked with :data:`CATEGORIES` (all 15 must be present), a
    loader checks its one category. Each category is checked by :func:`category_problems`, its
    files decoded, unless they are as recorded when it last passed (``rd4ad.data.validate``).
    """
    root = Path(root)
    return validate_category_folders(
        root,
        categories,
        not_found=f"MVTec folder not found; run `python -m rd4ad fetch mvtec --root {root}` "
        f"or `python -m rd4ad synth --out {root}`",
        missing="missing MVTec categories",
        files=lambda c: source_files(root, c),
        problems=lambda c: category_problems(root, c),
        fix=FIX,
    )


def fetch_mvtec(root: str | os.PathLike, mirror: str | None = None, remote: RemoteFile = ARCHIVE) -> Path:
    """The folder ``root`` holding MVTec AD, downloaded from ``remote`` or
    ``<mirror>/mvtec_anomaly_detection.tar.xz`` if not there (an existing copy: :func:`validate_mvtec`)."""
    return fetch_archive(remote, root, lambda folder: validate_mvtec(folder, CATEGORIES), mirror=mirror)


def load_mvtec(root: str | os.PathLike, category: str, split: str, image_size: int) -> SplitArrays:
    """Decode ``train`` (good only) or ``test`` (good + every defect, masks from ground_truth) of a
    category :func:`validate_mvtec` accepted."""
    root = Path(root)
    sources = [root / category / "train" / GOOD] if split == "train" else folders(root / category / "test")

    def entries():
        for folder in sources:
            truth = {} if folder.name == GOOD else _masks(root / category / "ground_truth" / folder.name)
            for path in _pngs(folder):
                mask = None if folder.name == GOOD else open_image(truth[path.stem])
                yield path, mask, f"{split}/{folder.name}/{path.stem}", folder.name

    return decode_split(entries(), image_size)


def source_files(root: str | os.PathLike, category: str) -> list[Path]:
    """Files a split of ``category`` is decoded from (the cache fingerprints them)."""
    return sorted(p for p in under(root, category).rglob("*") if p.is_file())
