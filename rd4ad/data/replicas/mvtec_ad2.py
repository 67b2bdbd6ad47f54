"""An MVTec AD 2 replica (rd4ad/data/mvtec_ad2.py): ``<cat>/{train,validation}/good/NNN_regular.png``,
``<cat>/test_public/{good,bad}/NNN_regular.png`` with ``test_public/ground_truth/bad/NNN_regular_mask.png``
(mode L, 0/255) and unlabelled ``test_private/`` and ``test_private_mixed/`` images; content: the
synthetic ceramic tiles."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rd4ad.data.arrays import GOOD
from rd4ad.data.mvtec_ad2 import BAD, MASK, PUBLIC
from rd4ad.data.replicas.content import Shot, encoded, save

CONTENT = "ceramic"
PRIVATE = ("test_private", "test_private_mixed")  # no labels, no masks: never read by the loader


def write(root: Path, category: str, shots: list[Shot], spare: list[np.ndarray]) -> None:
    """The train, validation, public and private test images of ``category`` and its public masks."""
    folder = root / category
    half = len(spare) // 2
    for k, image in enumerate(spare[:half]):
        save(folder / "validation" / GOOD / f"{k:03d}_regular.png", image)
    for k, image in enumerate(spare[half:]):
        save(folder / PRIVATE[k % 2] / f"{k:03d}_{'regular' if k % 2 == 0 else 'mixed'}.png", image)
    numbers: dict[tuple[str, str], int] = {}
    for shot in shots:
        kind = GOOD if shot.kind == GOOD else BAD
        number = numbers[shot.split, kind] = numbers.get((shot.split, kind), -1) + 1
        stem = f"{number:03d}_regular"
        save(folder / (PUBLIC if shot.split == "test" else "train") / kind / f"{stem}.png", shot.image)
        if kind == BAD:
            save(folder / PUBLIC / "ground_truth" / BAD / f"{stem}{MASK}.png", encoded(shot.mask, 255))
