"""Decoded-split cache: uint8 tensors in one ``.pt`` file per (dataset, split, category, size, source).

The key is the SHA-256 of a JSON record of the request (dataset, split, category, image
size, protocol knobs) and of the source listing: the sorted ``(relative path, size,
mtime_ns)`` of every file the split is decoded from. Touching or replacing a source file
changes the key, so a stale entry is never read. Entries are written atomically
(``rd4ad.files.io``) and read with ``weights_only=True``. An entry that cannot be read is moved aside
(``<entry>.corrupt``) and decoded again; a cache folder that cannot be written only disables
caching, with a warning.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from rd4ad.data.arrays import SplitArrays
from rd4ad.files.errors import StorageError, UnreadableFileError, describe_os_error
from rd4ad.files.io import atomic_torch_save, load_checkpoint, move_aside
from rd4ad.files.paths import under
from rd4ad.files.temporaries import clean_stale


def source_listing(files: list[Path], base: str | os.PathLike) -> list[tuple[str, int, int]]:
    """Sorted ``(path relative to base, size, mtime_ns)`` of ``files``."""
    rows = []
    for path in files:
        stat = path.stat()
        rows.append((os.path.relpath(path, base), stat.st_size, stat.st_mtime_ns))
    return sorted(rows)


def cache_key(request: dict, listing: list[tuple[str, int, int]]) -> str:
    """SHA-256 of the request and the source listing."""
    text = json.dumps({"request": request, "source": listing}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _to_state(arrays: SplitArrays) -> dict:
    state = {
        "images": arrays.images,
        "labels": torch.from_numpy(arrays.labels),
        "names": arrays.names,
        "defects": arrays.defects,
        "normalize": arrays.normalize,
    }
    if arrays.masks is not None:
        state["masks"] = torch.from_numpy(arrays.masks)
    return state


def _from_state(state: dict) -> SplitArrays:
    masks = state.get("masks")
    return SplitArrays(
        state["images"],
        state["labels"].numpy().astype(np.int64),
        None if masks is None else masks.numpy().astype(np.uint8),
        list(state["names"]),
        list(state["defects"]),
        bool(state["normalize"]),
    )


def cached_split(
    cache_dir: str | os.PathLike | None,
    request: dict,
    listing: list[tuple[str, int, int]],
    build: Callable[[], SplitArrays],
) -> SplitArrays:
    """``build()`` once per key: later calls with the same request and sources read the cache file."""
    if cache_dir is None:
        return build()
    name = "_".join(str(request[k]) for k in ("dataset", "split", "category", "image_size"))
    path = under(cache_dir, f"{name}_{cache_key(request, listing)[:16]}.pt")
    clean_stale(cache_dir)
    if path.is_file():
        try:
            return _from_state(load_checkpoint(path))
        except UnreadableFileError as err:
            move_aside(path, f"unreadable cache entry ({err.detail})", "decoding the images again")
        except (KeyError, TypeError, AttributeError, ValueError) as err:
            move_aside(
                path, f"not a decoded-image cache entry ({type(err).__name__}: {err})", "decoding the images again"
            )
        except OSError as err:
            print(
                f"warning: cache entry not read ({describe_os_error(err, path)}); decoding the images again",
                file=sys.stderr,
            )
    arrays = build()
    try:
        atomic_torch_save(_to_state(arrays), path)
    except StorageError as err:
        print(f"warning: decoded images not cached ({err}); continuing without the cache", file=sys.stderr)
    return arrays
