"""CIFAR-10's batches, checked by decoding them without running them.

The official files are Python 2 pickles (protocol 2, byte-string keys) that torchvision reads with
``encoding="latin1"``: a dict of ``data`` (uint8 N×3072) and ``labels`` (N class ids 0..9);
``batches.meta`` holds the ten ``label_names``. A pickle can run code, so here only numpy's array
reconstruction may be named in one; anything else is refused as not a CIFAR-10 batch.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

META = "batches.meta"
ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED:
            raise pickle.UnpicklingError(f"names {module}.{name}, which a CIFAR-10 batch never does")
        return super().find_class(module, name)


def _load(path: Path):
    with open(path, "rb") as handle:
        return _Unpickler(handle, encoding="latin1").load()


def batch_problem(path: Path) -> str | None:
    """Why ``path`` is not a CIFAR-10 batch (or, for :data:`META`, its label names), or None."""
    try:
        entry = _load(path)
    except Exception as err:  # a damaged pickle fails in any way: EOFError, UnpicklingError, ValueError, …
        return f"not a CIFAR-10 pickle ({type(err).__name__}: {' '.join(str(err).split())[:160]})"
    if not isinstance(entry, dict):
        return f"holds a {type(entry).__name__}, not a dict"
    if path.name == META:
        names = entry.get("label_names")
        return None if isinstance(names, list) and len(names) == 10 else "no list of 10 label_names"
    data, labels = entry.get("data"), entry.get("labels")
    if not (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2 and data.shape[1] == 3072):
        return "its 'data' is not a uint8 array of N×3072 pixels"
    if not (
        isinstance(labels, list)
        and len(labels) == len(data)
        and all(isinstance(v, int) and 0 <= v <= 9 for v in labels)
    ):
        return f"its 'labels' are not {len(data)} class ids 0..9"
    return None
