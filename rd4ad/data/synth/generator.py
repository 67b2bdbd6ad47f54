"""Write the synthetic MVTec-format set (``python -m rd4ad synth``).

Layout (read by the same loader and validator as MVTec AD): ``<cat>/train/good/NNN.png``,
``<cat>/test/<defect>/NNN.png``, ``<cat>/ground_truth/<defect>/NNN_mask.png`` (0/255, one per
defective image), plus ``synth.json`` recording the configuration and the validation record
(``rd4ad.data.validate.RECORD``). Every image has its own generator
``numpy.random.default_rng([seed, category, split, defect, index])``, so a
category's images do not depend on which other categories are generated, and the same seed
gives byte-identical PNG files. The set is written to a hidden sibling folder, validated, then
swapped into place in one step (``rd4ad.files.io.replace_folder``): a killed run leaves the previous
set untouched. ``overwrite`` replaces only a folder this generator wrote (its ``synth.json``
names every entry), never another dataset or a user's files.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from rd4ad.data.generated import write_folder
from rd4ad.data.mvtec import validate_mvtec
from rd4ad.data.synth.defects import DEFECTS
from rd4ad.data.synth.objects import draw_caplet, draw_nut
from rd4ad.data.synth.textures import texture_crop
from rd4ad.data.synth.tiles import draw_tiles
from rd4ad.data.validate import RECORD
from rd4ad.files.errors import RD4ADError
from rd4ad.files.io import atomic_write_json

CATEGORY_DEFECTS = {
    "brick": ("scratch", "color", "contamination", "hole"),
    "grass": ("scratch", "color", "contamination", "hole"),
    "gravel": ("scratch", "oil", "contamination"),
    "nut": ("scratch", "color", "hole"),
    "caplet": ("scratch", "color", "hole"),
    "ceramic": ("scratch", "color", "contamination", "hole"),
}  # new categories are appended: the others' images keep their seeds. No name is one of MVTec AD's, so demo
#    numbers never fill a row of the paper's tables.
OBJECTS = {"nut": draw_nut, "caplet": draw_caplet}
CATEGORIES = tuple(CATEGORY_DEFECTS)
MARKER = "synth.json"
GRAY = {"gravel"}
DONOR = {"brick": "gravel", "grass": "brick", "gravel": "brick", "nut": "grass", "caplet": "grass", "ceramic": "brick"}
DRAWN_TEXTURES = {"ceramic": draw_tiles}


@dataclass(frozen=True)
class SynthConfig:
    """Sizes of the synthetic set (defaults: small enough for the 2-core CPU demo)."""

    image_size: int = 128
    n_train: int = 32
    n_test_good: int = 8
    n_test_defect: int = 4
    categories: tuple[str, ...] = CATEGORIES
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = sorted(set(self.categories) - set(CATEGORIES))
        if unknown or not self.categories:
            raise RD4ADError(f"synth categories {unknown or '(none)'}: choose from {', '.join(CATEGORIES)}")
        if self.image_size < 32 or min(self.n_train, self.n_test_good, self.n_test_defect) < 1:
            raise RD4ADError("synth: image_size must be >= 32 and every image count >= 1")


def normal_image(category: str, split: str, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A defect-free float RGB image of ``category`` and the region where defects may go."""
    if category in OBJECTS:
        return OBJECTS[category](size, rng)
    if category in DRAWN_TEXTURES:
        return DRAWN_TEXTURES[category](size, rng), np.ones((size, size), bool)
    return texture_crop(category, split, size, rng), np.ones((size, size), bool)


def sample(category: str, split: str, defect: str, index: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One uint8 image (H, W, 3) and its uint8 mask (0/255; all zero for ``good``)."""
    codes = (CATEGORIES.index(category), ("train", "test").index(split), (("good",) + tuple(DEFECTS)).index(defect))
    rng = np.random.default_rng([seed, *codes, index])
    image, region = normal_image(category, split, size, rng)
    mask = np.zeros((size, size), bool)
    if defect != "good":
        donor = texture_crop(DONOR[category], "test", size, rng)
        if category in GRAY:
            donor = donor.mean(axis=2, keepdims=True).repeat(3, axis=2)
        image, mask = DEFECTS[defect](image, region, rng, donor)
    return np.rint(np.clip(image, 0, 1) * 255).astype(np.uint8), mask.astype(np.uint8) * 255


def _save(array: np.ndarray, path: Path, gray: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array[..., 0] if gray and array.ndim == 3 else array).save(path)


def write_category(root: Path, category: str, config: SynthConfig) -> None:
    """All images and masks of one category under ``root/category``."""
    gray = category in GRAY
    plan = [("train", "good", config.n_train), ("test", "good", config.n_test_good)]
    plan += [("test", defect, config.n_test_defect) for defect in CATEGORY_DEFECTS[category]]
    for split, defect, count in plan:
        for index in range(count):
            image, mask = sample(category, split, defect, index, config.image_size, config.seed)
            _save(image, root / category / split / defect / f"{index:03d}.png", gray)
            if defect != "good":
                _save(mask, root / category / "ground_truth" / defect / f"{index:03d}_mask.png", True)


def is_synthetic_set(folder: Path) -> bool:
    """Whether ``folder`` holds only what :func:`generate` writes: its ``synth.json``, the categories it
    names and the validation record."""
    try:
        record = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        entries = {p.name for p in folder.iterdir()}
    except (OSError, ValueError):
        return False
    fields = {f.name for f in dataclasses.fields(SynthConfig)} | {"defects"}
    if not (isinstance(record, dict) and fields <= set(record) and isinstance(record["categories"], list)):
        return False
    return entries <= {MARKER, RECORD, *map(str, record["categories"])}


def generate(out: str | os.PathLike, config: SynthConfig = SynthConfig(), overwrite: bool = False) -> Path:
    """Write the synthetic set to ``out`` (atomically: a hidden folder swapped in once validated).

    ``overwrite`` replaces an existing synthetic set; any other non-empty folder is refused.
    """

    def fill(tmp: Path) -> None:
        for category in config.categories:
            write_category(tmp, category, config)
        atomic_write_json(
            tmp / MARKER,
            {**dataclasses.asdict(config), "defects": {c: list(CATEGORY_DEFECTS[c]) for c in config.categories}},
        )
        validate_mvtec(tmp)

    return write_folder(
        out, overwrite, fill, ours=is_synthetic_set, what="a synthetic set", command="synth", marker=MARKER
    )
