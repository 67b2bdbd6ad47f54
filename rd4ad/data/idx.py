"""The idx files of MNIST and Fashion-MNIST, checked without torchvision (whose reader only asserts).

An idx file is a big-endian magic number (``0x0800 + number of dimensions`` for unsigned bytes:
2051 for images, N×28×28; 2049 for labels, N), the dimensions as big-endian 32-bit integers, then
one byte per value. torchvision downloads them gzipped and reads the extracted copies; both forms
are checked here: the magic, the dimensions and the length the header declares.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

IMAGES, LABELS = 2051, 2049
KINDS = {IMAGES: "images", LABELS: "labels"}
SHAPES = {IMAGES: (28, 28), LABELS: ()}  # the dimensions after the count


def _content(path: Path) -> tuple[bytes, int]:
    """The header (at most 16 bytes) and the total length of ``path``'s idx content (decompressed for ``.gz``)."""
    if path.suffix != ".gz":
        with open(path, "rb") as handle:
            return handle.read(16), path.stat().st_size
    data = gzip.decompress(path.read_bytes())
    return data[:16], len(data)


def idx_problem(path: Path, magic: int) -> str | None:
    """Why ``path`` is not an idx file of ``magic``'s kind (:data:`IMAGES` or :data:`LABELS`), or None."""
    try:
        head, length = _content(path)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as err:
        return f"not a complete gzip file ({err})" if path.suffix == ".gz" else f"cannot be read ({err})"
    if length == 0:
        return "empty file"
    found = struct.unpack(">I", head[:4])[0] if len(head) >= 4 else None
    kind = KINDS[magic]
    if found != magic:
        if found in KINDS:
            return (
                f"holds {KINDS[found]} (idx magic {found}), not {kind} ({magic}): the image and label files "
                "are swapped or misnamed"
            )
        return f"not an idx {kind} file (magic {found if found is not None else 'missing'}, expected {magic})"
    ndim = 1 + len(SHAPES[magic])
    if len(head) < 4 + 4 * ndim:
        return f"truncated: {length} bytes, shorter than an idx header"
    dims = struct.unpack(f">{ndim}I", head[4 : 4 + 4 * ndim])
    if tuple(dims[1:]) != SHAPES[magic]:
        return f"{kind} of shape {'×'.join(map(str, dims))}, expected N×{'×'.join(map(str, SHAPES[magic]))}"
    expected = 4 + 4 * ndim + math.prod(dims)
    if length != expected:
        state = "truncated" if length < expected else "too long"
        return f"{state}: {length} bytes, its header declares {dims[0]} {kind} ({expected} bytes)"
    return None
