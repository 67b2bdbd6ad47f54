"""A run's data: its ``train`` or ``test`` split, and what a ``random_calibrated`` teacher is calibrated on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rd4ad.contract.run import RunConfig
from rd4ad.models.teachers import resolve_teacher

if TYPE_CHECKING:
    from rd4ad.data import SplitArrays


def load_split(run: RunConfig, split: str, cache_dir: str | None = None) -> SplitArrays:
    """The run's ``train`` or ``test`` split (``rd4ad.data.load_split`` with its protocol knobs)."""
    from rd4ad.data import load_split as load  # torch: not loaded by planning

    return load(run.loader, run.data_root, run.category, split, run.image_size, cache_dir=cache_dir, **run.protocol)


def teacher_calibration(run: RunConfig, cache_dir: str | None = None, train: SplitArrays | None = None):
    """What a ``random_calibrated`` teacher is calibrated on: the run's training images and whether
    they are ImageNet-normalised (None for the other teachers). ``train``: the split when the caller
    has loaded it already; else it is read (through ``cache_dir``)."""
    if not resolve_teacher(run.teacher_weights).calibrated:
        return None
    train = train if train is not None else load_split(run, "train", cache_dir)
    return train.images, train.normalize
