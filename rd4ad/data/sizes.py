"""How many images a run's train / test split holds, and how much disk a dataset takes, without the data.

The published sizes (MVTec AD per category, MNIST per digit, Fashion-MNIST and CIFAR-10 per class)
are data: ``split_sizes.csv`` beside this file; the download sizes are ``disk_sizes.csv``. The
synthetic set's sizes follow from its ``synth:`` flags and defect types (rd4ad/data/synth), a replica's
from its ``replica:`` flags (rd4ad/data/replicas), the
digits' from scikit-learn's copy (it ships with it), and Caltech-256's from its protocol knobs
(rd4ad/data/caltech.py) with the mean category size: an approximation, the categories differ.
``python -m rd4ad estimate`` multiplies its timings by them; ``doctor`` adds up the disk sizes.
"""

from __future__ import annotations

import csv
import inspect
from functools import cache
from pathlib import Path

from rd4ad.files.errors import RD4ADError

HERE = Path(__file__).parent
CALTECH_MEAN_CATEGORY = 116  # (30,607 images − 827 in 257.clutter) / 256 categories


@cache
def _table(name: str) -> list[dict]:
    with open(HERE / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def published_sizes(loader: str, category: str) -> tuple[int, int] | None:
    """(train, test) images of a published dataset's category (``split_sizes.csv``), None when not listed."""
    for row in _table("split_sizes.csv"):
        if row["loader"] == loader and row["category"] in (category, "*"):
            return int(row["train"]), int(row["test"])
    return None


def dataset_megabytes(loader: str) -> int:
    """Disk a dataset takes once fetched (``disk_sizes.csv``; 0 for a loader not listed, e.g. synthetic data)."""
    return next((int(row["megabytes"]) for row in _table("disk_sizes.csv") if row["loader"] == loader), 0)


def _synth_sizes(category: str, synth: dict) -> tuple[int, int]:
    from rd4ad.data.synth.generator import CATEGORY_DEFECTS, SynthConfig

    defaults = {name: p.default for name, p in inspect.signature(SynthConfig).parameters.items()}
    flags = {**defaults, **{k: v for k, v in synth.items() if k in defaults}}
    return flags["n_train"], flags["n_test_good"] + flags["n_test_defect"] * len(CATEGORY_DEFECTS[category])


def _caltech_sizes(protocol: dict) -> tuple[int, int]:
    from rd4ad.data.caltech import protocol_files

    knobs = {
        name: p.default
        for name, p in inspect.signature(protocol_files).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    knobs.update(protocol)
    n_train = min(knobs["train_per_category"], 2 * CALTECH_MEAN_CATEGORY // 3)
    inliers = CALTECH_MEAN_CATEGORY - n_train
    outliers = round(inliers * knobs["outlier_ratio"] / (1 - knobs["outlier_ratio"]))
    return knobs["n_inlier_categories"] * n_train, knobs["n_inlier_categories"] * inliers + outliers


def _digits_sizes(category: str) -> tuple[int, int]:
    from rd4ad.data.digits import load_digits_split

    return tuple(len(load_digits_split(category, split, 8).labels) for split in ("train", "test"))


def split_sizes(
    loader: str,
    category: str,
    *,
    source: str = "fetch",
    synth: dict | None = None,
    protocol: dict | None = None,
    replica: dict | None = None,
) -> tuple[int, int]:
    """(train, test) images of one run's data: ``loader`` and ``category`` as in the run config,
    ``source`` / ``synth`` / ``protocol`` / ``replica`` as its ``datasets:`` entry gives them."""
    if source == "synth":
        return _synth_sizes(category, synth or {})
    if source == "replica":
        from rd4ad.data.replicas import replica_sizes

        return replica_sizes(loader, replica or {})
    if loader == "digits":
        return _digits_sizes(category)
    if loader == "caltech256":
        return _caltech_sizes(protocol or {})
    sizes = published_sizes(loader, category)
    if sizes is None:
        raise RD4ADError(
            f"{HERE / 'split_sizes.csv'}: no published sizes of {loader} category {category!r}; "
            "add its train and test counts there"
        )
    return sizes
