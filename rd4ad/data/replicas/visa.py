"""A VisA replica (rd4ad/data/visa.py): ``<object>/Data/Images/Normal/NNNN.JPG`` (train and good test),
``<object>/Data/Images/Anomaly/NNN.JPG`` with ``<object>/Data/Masks/Anomaly/NNN.png`` (mode L, 0/1 as in
the archive) and the rows of ``split_csv/1cls.csv``; content: the synthetic caplet."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rd4ad.data.replicas.content import Shot, encoded, save
from rd4ad.data.visa import COLUMNS, FOLDERS, SPLIT_CSV

CONTENT = "caplet"
QUALITY = 95  # the archive's images are JPEGs


def write(root: Path, category: str, shots: list[Shot], spare: list[np.ndarray]) -> None:
    """The images and masks of object ``category``; its rows appended to the split CSV (written with its header)."""
    normal, anomaly, masks = (Path(category) / folder for folder in FOLDERS)
    rows = []
    for number, shot in enumerate(s for s in shots if s.kind == "good"):
        image = normal / f"{number:04d}.JPG"
        save(root / image, shot.image, quality=QUALITY)
        rows.append([category, shot.split, "normal", image.as_posix(), ""])
    for number, shot in enumerate(s for s in shots if s.kind != "good"):
        image, mask = anomaly / f"{number:03d}.JPG", masks / f"{number:03d}.png"
        save(root / image, shot.image, quality=QUALITY)
        save(root / mask, encoded(shot.mask, 1))
        rows.append([category, "test", "anomaly", image.as_posix(), mask.as_posix()])
    csv = root / SPLIT_CSV
    csv.parent.mkdir(parents=True, exist_ok=True)
    head = "" if csv.is_file() else ",".join(COLUMNS) + "\n"
    with csv.open("a", encoding="utf-8") as file:
        file.write(head + "".join(",".join(row) + "\n" for row in rows))
