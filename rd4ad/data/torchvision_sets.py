"""MNIST, Fashion-MNIST, CIFAR-10 through torchvision's dataset classes (their downloads + MD5 checks).

Public-code transforms: 32×32 (``Resize((32, 32))`` is passed as ``image_size``); (F-)MNIST's
single channel repeated to 3 and not normalised; CIFAR-10 with ImageNet mean/std (applied on
the device: ``normalize=True``). Loading never downloads: ``python -m rd4ad fetch`` does.
"""

from __future__ import annotations

import os
from pathlib import Path

from torchvision.datasets import CIFAR10, MNIST, FashionMNIST, VisionDataset

from rd4ad.data.arrays import SplitArrays
from rd4ad.data.novelty import one_class_split, parse_class
from rd4ad.files.errors import RD4ADError

CLASSES: dict[str, type[VisionDataset]] = {"mnist": MNIST, "fmnist": FashionMNIST, "cifar10": CIFAR10}
NORMALIZE = {"mnist": False, "fmnist": False, "cifar10": True}


def _with_mirror(cls: type[VisionDataset], mirror: str | None) -> type[VisionDataset]:
    """``cls`` fetching from ``mirror`` (same file names and MD5s); same class name, so same folders."""
    if mirror is None:
        return cls
    base = mirror.rstrip("/") + "/"
    attrs = {"url": base + cls.filename} if cls is CIFAR10 else {"mirrors": [base]}
    return type(cls.__name__, (cls,), attrs)


def open_dataset(
    dataset: str, root: str | os.PathLike, train: bool, download: bool = False, mirror: str | None = None
) -> VisionDataset:
    """The torchvision dataset object; a missing or corrupt copy is an ``RD4ADError``."""
    try:
        return _with_mirror(CLASSES[dataset], mirror)(str(root), train=train, download=download)
    except (RuntimeError, OSError) as err:
        action = (
            "check the network or pass --mirror URL"
            if download
            else f"run `python -m rd4ad fetch {dataset} --root {root}`"
        )
        raise RD4ADError(f"{root}: {dataset} not available ({err}); {action}") from err


def fetch_torchvision(dataset: str, root: str | os.PathLike, mirror: str | None = None) -> Path:
    """Download (and MD5-check) both splits of ``dataset`` into ``root``."""
    for train in (True, False):
        open_dataset(dataset, root, train, download=True, mirror=mirror)
    return Path(root)


def load_torchvision(dataset: str, root: str | os.PathLike, category: str, split: str, image_size: int) -> SplitArrays:
    """One-class split of ``dataset`` with normal class ``category`` (see :mod:`rd4ad.data.novelty`)."""
    normal = parse_class(category, 10)
    ds = open_dataset(dataset, root, train=split == "train")
    return one_class_split(lambda i: ds[i][0], ds.targets, normal, split, image_size, NORMALIZE[dataset])


def source_files(dataset: str, root: str | os.PathLike) -> list[Path]:
    """The files torchvision reads for ``dataset`` (fingerprinted by the cache)."""
    cls = CLASSES[dataset]
    folder = Path(root) / (cls.base_folder if cls is CIFAR10 else f"{cls.__name__}/raw")
    return sorted(p for p in folder.rglob("*") if p.is_file())
