"""Write a replica (``python -m rd4ad replica``): every category into a hidden sibling folder, validated
by the dataset's own validator (which records that it passed, ``rd4ad.data.validate``), then swapped
into place in one step (``rd4ad.files.io.replace_folder``), with ``replica.json`` naming what was
written. ``overwrite`` replaces only a folder this writer wrote, never a real dataset or a user's files.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

from rd4ad.data import folder, loco, mvtec_ad2, visa
from rd4ad.data.generated import write_folder
from rd4ad.data.replicas import folder as folder_replica
from rd4ad.data.replicas import loco as loco_replica
from rd4ad.data.replicas import mvtec_ad2 as mvtec_ad2_replica
from rd4ad.data.replicas import visa as visa_replica
from rd4ad.data.replicas.content import shots, unlabelled
from rd4ad.data.validate import RECORD
from rd4ad.files.errors import RD4ADError
from rd4ad.files.io import atomic_write_json

LOADERS = {  # loader → (its replica's writer module, the loader's validator)
    "visa": (visa_replica, visa.validate_visa),
    "loco": (loco_replica, loco.validate_loco),
    "mvtec_ad2": (mvtec_ad2_replica, mvtec_ad2.validate_mvtec_ad2),
    "folder": (folder_replica, folder.validate_folder),
}
MARKER = "replica.json"
SPARE = 4  # unlabelled good images per category: validation sets, private test sets


@dataclass(frozen=True)
class ReplicaConfig:
    """Sizes of a replica (defaults: small enough for the 2-core CPU demo)."""

    categories: tuple[str, ...]
    image_size: int = 64
    n_train: int = 32
    n_test_good: int = 8
    n_test_defect: int = 3
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.categories:
            raise RD4ADError("replica: give at least one category (--categories)")
        if self.image_size < 32 or min(self.n_train, self.n_test_good, self.n_test_defect) < 1:
            raise RD4ADError("replica: image_size must be >= 32 and every image count >= 1")


def replica_sizes(loader: str, flags: dict) -> tuple[int, int]:
    """(train, test) images per category of a replica written with ``flags`` (the dataset's ``replica:``)."""
    from rd4ad.data.synth.generator import CATEGORY_DEFECTS

    defaults = {f.name: f.default for f in dataclasses.fields(ReplicaConfig) if f.name != "categories"}
    sizes = {**defaults, **{k: v for k, v in flags.items() if k in defaults}}
    defects = len(CATEGORY_DEFECTS[LOADERS[loader][0].CONTENT])
    return sizes["n_train"], sizes["n_test_good"] + sizes["n_test_defect"] * defects


def is_replica(out: Path) -> bool:
    """Whether ``out`` holds only what :func:`write_replica` writes: its marker, the categories it names,
    VisA's split folder and the validation record."""
    try:
        record = json.loads((out / MARKER).read_text(encoding="utf-8"))
        entries = {p.name for p in out.iterdir()}
    except (OSError, ValueError):
        return False
    if not (isinstance(record, dict) and isinstance(record.get("categories"), list)):
        return False
    return entries <= {MARKER, RECORD, visa.SPLIT_CSV.parts[0], *map(str, record["categories"])}


def write_replica(loader: str, out: str | os.PathLike, config: ReplicaConfig, overwrite: bool = False) -> Path:
    """Write the replica of ``loader``'s format to ``out`` (atomically, once its validator accepts it)."""
    if loader not in LOADERS:
        raise RD4ADError(f"replica {loader!r}: choose one of {', '.join(LOADERS)}")
    writer, validate = LOADERS[loader]

    def fill(tmp: Path) -> None:
        sizes = (config.n_train, config.n_test_good, config.n_test_defect)
        images = shots(writer.CONTENT, *sizes, config.image_size, config.seed)
        spare = unlabelled(writer.CONTENT, SPARE, config.image_size, config.seed)
        for category in config.categories:
            writer.write(tmp, category, images, spare)
        atomic_write_json(tmp / MARKER, {"loader": loader, "content": writer.CONTENT, **dataclasses.asdict(config)})
        validate(tmp, config.categories)

    return write_folder(out, overwrite, fill, ours=is_replica, what="a replica", command="replica", marker=MARKER)
