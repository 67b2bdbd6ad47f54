"""An MVTec LOCO AD replica (rd4ad/data/loco.py): ``<cat>/{train,validation}/good/NNN.png``,
``<cat>/test/{good,logical_anomalies,structural_anomalies}/NNN.png``, per anomalous image a folder
``<cat>/ground_truth/<type>/NNN/000.png`` (its one defect, mode L, the defect's ``pixel_value``) and
``<cat>/defects_config.json``; content: the synthetic nut, a wrong colour standing for a logical
anomaly (the part is intact, its appearance breaks a rule), a scratch or hole for a structural one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from rd4ad.data.arrays import GOOD
from rd4ad.data.loco import TYPES
from rd4ad.data.replicas.content import Shot, encoded, save

CONTENT = "nut"
LOGICAL, STRUCTURAL = TYPES
DEFECTS = {  # synthetic defect → (LOCO type, defect name, pixel value in defects_config.json)
    "color": (LOGICAL, "wrong_color", 251),
    "scratch": (STRUCTURAL, "scratch", 254),
    "hole": (STRUCTURAL, "hole", 253),
}


def write(root: Path, category: str, shots: list[Shot], spare: list[np.ndarray]) -> None:
    """The train, validation and test images of ``category``, its per-defect masks and defects_config.json."""
    folder = root / category
    for k, image in enumerate(spare):
        save(folder / "validation" / GOOD / f"{k:03d}.png", image)
    numbers: dict[tuple[str, str], int] = {}
    for shot in shots:
        kind, _, value = DEFECTS.get(shot.kind, (GOOD, "", 0))
        number = numbers[shot.split, kind] = numbers.get((shot.split, kind), -1) + 1
        save(folder / shot.split / kind / f"{number:03d}.png", shot.image)
        if kind != GOOD:
            save(folder / "ground_truth" / kind / f"{number:03d}" / "000.png", encoded(shot.mask, value))
    config = [{"defect_name": name, "pixel_value": value} for _, name, value in DEFECTS.values()]
    (folder / "defects_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
