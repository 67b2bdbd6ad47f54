"""MNIST, Fashion-MNIST, CIFAR-10 through torchvision's dataset classes (their downloads + MD5 checks).

Public-code transforms: 32×32 (``Resize((32, 32))`` is passed as ``image_size``); (F-)MNIST's
single channel repeated to 3 and not normalised; CIFAR-10 with ImageNet mean/std (applied on
the device: ``normalize=True``). Loading never downloads: ``python -m rd4ad fetch`` does.

Every file is checked by this suite, not only by torchvision (which checks that MNIST's extracted
files exist, and asserts on a bad one): the fetch decodes every file of both splits
(``rd4ad.data.idx``, ``rd4ad.data.cifar_pickles``); a damaged file torchvision extracted is
deleted, so that torchvision extracts it again from its verified download (or downloads it
again). A load checks the idx headers and lengths (MNIST) or the MD5s (CIFAR-10) of the files it
reads. Every problem names its file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from torchvision.datasets import CIFAR10, MNIST, FashionMNIST, VisionDataset
from torchvision.datasets.utils import check_integrity

from rd4ad.data.arrays import SplitArrays
from rd4ad.data.cifar_pickles import META, batch_problem
from rd4ad.data.idx import IMAGES, LABELS, idx_problem
from rd4ad.data.novelty import one_class_split, parse_class
from rd4ad.data.validate import Problem, raise_problems
from rd4ad.files.errors import RD4ADError

CLASSES: dict[str, type[VisionDataset]] = {"mnist": MNIST, "fmnist": FashionMNIST, "cifar10": CIFAR10}
NORMALIZE = {"mnist": False, "fmnist": False, "cifar10": True}
GZ = ".gz"


def _with_mirror(cls: type[VisionDataset], mirror: str | None) -> type[VisionDataset]:
    """``cls`` fetching from ``mirror`` (same file names and MD5s); same class name, so same folders."""
    if mirror is None:
        return cls
    base = mirror.rstrip("/") + "/"
    attrs = {"url": base + cls.filename} if cls is CIFAR10 else {"mirrors": [base]}
    return type(cls.__name__, (cls,), attrs)


def folder(dataset: str, root: str | os.PathLike) -> Path:
    """Where torchvision keeps ``dataset``'s files under ``root``."""
    cls = CLASSES[dataset]
    return Path(root) / (cls.base_folder if cls is CIFAR10 else f"{cls.__name__}/raw")


def split_files(dataset: str, root: str | os.PathLike, train: bool) -> dict[Path, int | str]:
    """The files torchvision reads for one split → their idx magic (MNIST family) or MD5 (CIFAR-10)."""
    cls, base = CLASSES[dataset], folder(dataset, root)
    if cls is CIFAR10:
        listed = [*(cls.train_list if train else cls.test_list), [META, cls.meta["md5"]]]
        return {base / name: md5 for name, md5 in listed}
    prefix = "train" if train else "t10k"
    return {base / f"{prefix}-images-idx3-ubyte": IMAGES, base / f"{prefix}-labels-idx1-ubyte": LABELS}


def _problem(path: Path, expected: int | str, decode: bool) -> str | None:
    if not path.is_file():
        return "missing"
    if isinstance(expected, int):
        return idx_problem(path, expected)
    if not check_integrity(str(path), expected):
        return "damaged (its MD5 is not the official file's)"
    return batch_problem(path) if decode else None


def split_problems(dataset: str, root: str | os.PathLike, train: bool, decode: bool = True) -> list[Problem]:
    """What is wrong with the files one split reads (CIFAR-10's pickles are decoded when ``decode``)."""
    found = [(path, _problem(path, expected, decode)) for path, expected in split_files(dataset, root, train).items()]
    return [(path, why) for path, why in found if why]


def _archive_problems(dataset: str, root: str | os.PathLike) -> list[Problem]:
    """The gzipped idx files torchvision keeps beside the extracted ones (MNIST family), checked too."""
    if CLASSES[dataset] is CIFAR10:
        return []
    archives = {
        path.with_name(path.name + GZ): magic
        for train in (True, False)
        for path, magic in split_files(dataset, root, train).items()
    }
    found = [(path, idx_problem(path, magic)) for path, magic in archives.items() if path.is_file()]
    return [(path, why) for path, why in found if why]


def _all_problems(dataset: str, root: str | os.PathLike) -> list[Problem]:
    return [p for train in (True, False) for p in split_problems(dataset, root, train)] + _archive_problems(
        dataset, root
    )


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
    """Download (and MD5-check) both splits of ``dataset`` into ``root`` and decode every file; a
    damaged file found there is deleted first, so that torchvision fetches it again (extracting it
    from its verified download where that is still there)."""
    for path, why in _all_problems(dataset, root):
        if path.is_file():
            path.unlink()
            print(f"{path}: {why}; deleted, fetching it again", file=sys.stderr)
    for train in (True, False):
        open_dataset(dataset, root, train, download=True, mirror=mirror)
    raise_problems(_all_problems(dataset, root), f"delete it and run `python -m rd4ad fetch {dataset} --root {root}`")
    return Path(root)


def _require(dataset: str, root: str | os.PathLike, fix: str) -> None:
    if not folder(dataset, root).is_dir():
        raise RD4ADError(f"{folder(dataset, root)}: {dataset} not found; {fix}")


def validate_torchvision(dataset: str, root: str | os.PathLike) -> Path:
    """Check an existing copy of ``dataset`` at ``root`` in place (decoding every file; nothing is changed)."""
    _require(dataset, root, "give the folder that holds it")
    raise_problems(_all_problems(dataset, root), "replace that file with the official one")
    return Path(root)


def load_torchvision(dataset: str, root: str | os.PathLike, category: str, split: str, image_size: int) -> SplitArrays:
    """One-class split of ``dataset`` with normal class ``category`` (see :mod:`rd4ad.data.novelty`)."""
    normal = parse_class(category, 10)
    train = split == "train"
    fix = f"run `python -m rd4ad fetch {dataset} --root {root}` (it fetches a missing or damaged file again)"
    _require(dataset, root, fix)
    raise_problems(split_problems(dataset, root, train, decode=False), fix)
    ds = open_dataset(dataset, root, train=train)
    return one_class_split(lambda i: ds[i][0], ds.targets, normal, split, image_size, NORMALIZE[dataset])


def source_files(dataset: str, root: str | os.PathLike) -> list[Path]:
    """The files torchvision reads for ``dataset`` (fingerprinted by the cache)."""
    return sorted(p for p in folder(dataset, root).rglob("*") if p.is_file())
