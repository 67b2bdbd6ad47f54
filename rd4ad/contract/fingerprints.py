"""Content digests of a run's inputs: the decoded images it saw and the frozen teacher it distilled.

``model.pt`` records the digests of its training split and of its teacher; ``metrics.json`` adds
the test split's, and under ``outputs`` those of what the run computed from them: the trained
student and the headline anomaly maps with the image scores. :data:`STAGES` orders the five as the
run makes them, so that a run compared with an earlier one (the drift check) can name the first
stage whose bits differ. Inputs name content, not files: a dataset fetched or synthesised again, or
teacher weights downloaded again, give the same digests, so a finished run stays valid with no
timestamp consulted. Evaluation refuses a student whose teacher differs from the one it was
trained against (``rd4ad/evaluation/evaluate.py``); training does not resume an epoch state
written from other inputs (``rd4ad/training/loop.py``).

Example::

    >>> import numpy as np
    >>> digest([np.zeros((2, 2), np.uint8)]) == digest([np.zeros((2, 2), np.uint8)])
    True
    >>> digest([np.zeros((2, 2), np.uint8)]) == digest([np.zeros((4,), np.uint8)])
    False
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import torch

from rd4ad.data.arrays import SplitArrays


def digest(arrays: Iterable[np.ndarray | torch.Tensor]) -> str:
    """SHA-256 (hex) of the arrays' dtypes, shapes and values, in order."""
    sha = hashlib.sha256()
    for array in arrays:
        values = array.detach().cpu().numpy() if isinstance(array, torch.Tensor) else np.asarray(array)
        sha.update(f"{values.dtype.str}{values.shape};".encode())
        sha.update(np.ascontiguousarray(values).data)
    return sha.hexdigest()


def split_digest(split: SplitArrays) -> str:
    """Digest of a split as the model sees it: decoded, resized images, labels and masks."""
    return digest([split.images, split.labels] + ([split.masks] if split.masks is not None else []))


STAGES = ("train_data", "teacher", "student", "test_data", "maps")
"""A run's digests in the order it makes them: training split, (calibrated) teacher, trained
student, test split, headline maps and image scores (``inputs`` and ``outputs`` of ``metrics.json``)."""


def state_digest(state: dict) -> str:
    """Digest of a state dict's tensors in key order."""
    return digest(state[key] for key in sorted(state))


def teacher_digest(model) -> str:
    """Digest of every tensor training leaves unchanged: the teacher (and a frozen bottleneck)."""
    return state_digest(model.frozen_state_dict())
