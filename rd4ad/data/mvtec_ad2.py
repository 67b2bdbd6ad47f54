"""MVTec AD 2 (8 categories): archive source, validator, split loader.

Layout (anomalib's ``MVTecAD2Dataset``, which follows the archive ``mvtec_ad_2.tar.gz``):
``<cat>/train/good/*.png``, ``<cat>/validation/good/*.png``, ``<cat>/test_public/{good,bad}/*.png``
with ``<cat>/test_public/ground_truth/bad/<stem>_mask.png`` (0 = good, 255 = defect), and
``<cat>/test_private/``, ``<cat>/test_private_mixed/``. The split ``test`` here is the public
test set, the only one with labels and masks. The private test sets have neither (MVTec scores
them on its evaluation server): they are not read, checked or fingerprinted, and no metric of
this suite comes from them. ``validation/good`` is checked and loadable
(``load_mvtec_ad2(..., "validation", ...)``); the paper's protocol selects nothing on it.
Entries are listed by the rule every loader shares (``rd4ad.data.listing``): ``.png`` in any
case, hidden files ignored, any other file in these folders reported.
"""

from __future__ import annotations

import os
from pathlib import Path

from rd4ad.data.archive import fetch_archive
from rd4ad.data.arrays import GOOD, SplitArrays, decode_split, open_image
from rd4ad.data.download import RemoteFile
from rd4ad.data.listing import images, visible
from rd4ad.data.validate import Problem, file_problems, validate_category_folders
from rd4ad.files.paths import under

CATEGORIES = ("can", "fabric", "fruit_jelly", "rice", "sheet_metal", "vial", "wallplugs", "walnuts")
BAD, MASK = "bad", "_mask"
PUBLIC = "test_public"
PNG = (".png",)
ARCHIVE = RemoteFile(
    url="https://www.mydrive.ch/shares/150997/701c90d3aea6588f404936e32a674602/download/"
    "466712769-1743429042/mvtec_ad_2.tar.gz",
    hash_name="sha256",
    digest="c0ded99ef32bfc8e352d52beb44515e5b292b8598cb963aadfa91ca0763505e4",
    source="anomalib's MVTecAD2 datamodule (DOWNLOAD_INFO.hashsum); not verified offline",
)
FIX = "repair or remove what is named, or delete the folder and run `python -m rd4ad fetch mvtec_ad2` again"


def _folders(root: Path, category: str, split: str) -> list[Path]:
    folder = under(root, category)
    return [folder / PUBLIC / GOOD, folder / PUBLIC / BAD] if split == "test" else [folder / split / GOOD]


def mask_path(root: Path, category: str, image: Path) -> Path:
    """The mask of a public anomalous test image: ``test_public/ground_truth/bad/<stem>_mask.png``."""
    return under(root, category) / PUBLIC / "ground_truth" / BAD / f"{image.stem}{MASK}.png"


def category_problems(root: str | os.PathLike, category: str) -> list[Problem]:
    """Every problem of one category, sorted by path: a missing or empty folder, an anomalous public
    test image without its mask, a mask without its image, a non-PNG file, and what
    :func:`rd4ad.data.validate.file_problems` finds in each image and mask."""
    root = Path(root)
    problems: list[Problem] = []
    paired = set()
    for split in ("train", "validation", "test"):
        for sub in _folders(root, category, split):
            pngs = images(sub, PNG)
            if not pngs:
                problems.append((sub, "missing or holds no .png images"))
            problems += [(p, "not a .png file (MVTec AD 2 images are PNG)") for p in visible(sub) if p not in pngs]
            for image in pngs:
                mask = mask_path(root, category, image) if sub.name == BAD else None
                if mask is not None and not mask.is_file():
                    problems.append((mask, f"missing ground-truth mask for {image}"))
                    mask = None
                problems += file_problems(image, mask)
                paired.add(mask)
    truth = under(root, category) / PUBLIC / "ground_truth" / BAD
    problems += [(p, "mask without a test image") for p in images(truth, PNG) if p not in paired]
    return sorted(problems)


def validate_mvtec_ad2(root: str | os.PathLike, categories: tuple[str, ...] = CATEGORIES) -> list[str]:
    """Validate an MVTec AD 2 folder (each of ``categories`` by :func:`category_problems`, decoded
    unless as recorded when it last passed, ``rd4ad.data.validate``); return the categories."""
    root = Path(root)
    return validate_category_folders(
        root,
        categories,
        not_found=f"MVTec AD 2 folder not found; run `python -m rd4ad fetch mvtec_ad2 --root {root}`",
        missing="missing MVTec AD 2 categories",
        files=lambda c: source_files(root, c),
        problems=lambda c: category_problems(root, c),
        fix=FIX,
    )


def fetch_mvtec_ad2(root: str | os.PathLike, mirror: str | None = None, remote: RemoteFile = ARCHIVE) -> Path:
    """The folder ``root`` holding MVTec AD 2, downloaded from ``remote`` (or ``<mirror>/mvtec_ad_2.tar.gz``)
    if not there (an existing copy: :func:`validate_mvtec_ad2`)."""
    return fetch_archive(remote, root, lambda folder: validate_mvtec_ad2(folder), mirror=mirror)


def load_mvtec_ad2(root: str | os.PathLike, category: str, split: str, image_size: int) -> SplitArrays:
    """Decode ``train``, ``validation`` (good only) or ``test`` (the public test set: good and bad, masks
    from its ground_truth) of a category :func:`validate_mvtec_ad2` accepted."""
    root = Path(root)

    def entries():
        for sub in _folders(root, category, split):
            for path in images(sub, PNG):
                bad = sub.name == BAD and sub.parent.name == PUBLIC
                mask = open_image(mask_path(root, category, path)) if bad else None
                yield path, mask, f"{split}/{sub.name}/{path.stem}", BAD if bad else GOOD

    return decode_split(entries(), image_size)


def source_files(root: str | os.PathLike, category: str) -> list[Path]:
    """Files a split of ``category`` is decoded from (the cache fingerprints them): all but the private test sets."""
    folder = under(root, category)
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and not p.relative_to(folder).parts[0].startswith("test_private")
    )
