"""A replica of one's own images (rd4ad/data/folder.py): ``<cat>/normal/`` (training images),
``<cat>/normal_test/`` (good test images), ``<cat>/abnormal/`` and ``<cat>/mask/`` (same stem, mode L,
0/255), all PNG; content: the synthetic caplet."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rd4ad.data.folder import ABNORMAL, MASK, NORMAL, NORMAL_TEST
from rd4ad.data.replicas.content import Shot, encoded, save

CONTENT = "caplet"


def write(root: Path, category: str, shots: list[Shot], spare: list[np.ndarray]) -> None:
    """The normal, normal_test, abnormal and mask folders of ``category``."""
    folder = root / category
    for shot in shots:
        sub = NORMAL if shot.split == "train" else NORMAL_TEST if shot.kind == "good" else ABNORMAL
        stem = f"{shot.kind}_{shot.index:03d}"
        save(folder / sub / f"{stem}.png", shot.image)
        if sub == ABNORMAL:
            save(folder / MASK / f"{stem}.png", encoded(shot.mask, 255))
