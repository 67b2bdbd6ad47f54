"""Builders for the data tests: tiny MVTec/Caltech trees, tar archives, a loopback HTTP server
(no internet anywhere); the real formats' replicas are in replicas.py."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import tarfile
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

from rd4ad.data.mvtec import CATEGORIES


def write_png(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def mvtec_tree(root: Path, categories=CATEGORIES, side: int = 8, gray: tuple[str, ...] = ("grid",)) -> Path:
    """Per category: 2 train/good, 1 test/good, 2 test/crack with masks (left half / top half)."""
    rng = np.random.default_rng(0)
    for cat in categories:
        shape = (side, side) if cat in gray else (side, side, 3)
        for i in range(2):
            write_png(root / cat / "train" / "good" / f"{i:03d}.png", rng.integers(0, 256, shape, dtype=np.uint8))
        write_png(root / cat / "test" / "good" / "000.png", rng.integers(0, 256, shape, dtype=np.uint8))
        for i in range(2):
            write_png(root / cat / "test" / "crack" / f"{i:03d}.png", rng.integers(0, 256, shape, dtype=np.uint8))
            mask = np.zeros((side, side), np.uint8)
            if i == 0:
                mask[:, : side // 2] = 255
            else:
                mask[: side // 2, :] = 255
            write_png(root / cat / "ground_truth" / "crack" / f"{i:03d}_mask.png", mask)
    return root


def caltech_tree(root: Path, n_categories: int = 257, per_category: int = 3, clutter: int = 10) -> Path:
    """``256_ObjectCategories/NNN.catN/*.jpg`` (tiny JPEGs) ending with ``257.clutter``."""
    rng = np.random.default_rng(1)
    for k in range(1, n_categories + 1):
        name = "257.clutter" if k == n_categories else f"{k:03d}.cat{k}"
        for i in range(clutter if k == n_categories else per_category):
            path = root / "256_ObjectCategories" / name / f"{k:03d}_{i:04d}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)).save(path, quality=90)
    return root


def tar_bytes(folder: Path, mode: str = "w:xz", extra: list[tarfile.TarInfo] = ()) -> bytes:
    """Archive the contents of ``folder`` (member names relative to it), plus ``extra`` members."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
        for member in extra:
            tar.addfile(member, io.BytesIO(b"x" * member.size) if member.isfile() else None)
    return buf.getvalue()


def file_member(name: str) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.size = 1
    return member


def link_member(name: str, target: str) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type, member.linkname = tarfile.SYMTYPE, target
    return member


def hardlink_member(name: str, target: str) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type, member.linkname = tarfile.LNKTYPE, target
    return member


def path_max_symlink_chain(dest: Path, steps: str = "abcdefghijklmnop") -> list[tarfile.TarInfo]:
    """The CVE-2025-4517 layout for extraction into ``dest``: directories with names so long that
    their symlink aliases ``a/b/…/p`` expand past PATH_MAX, where ``os.path.realpath`` stops
    resolving; a link there pointing ``len(steps)`` levels up passes tarfile's ``data`` filter as
    inside ``dest`` but lands in ``dest``'s parent. Through it, ``flaglink`` hard-links
    ``<parent>/flag`` and overwrites it, and ``escape/newfile`` is created beside ``dest``."""
    length = (os.pathconf(dest.parent, "PC_PATH_MAX") - len(str(dest)) - 1) // (len(steps) + 1)
    component, path, members = "d" * length, "", []
    for step in steps:
        folder = tarfile.TarInfo(os.path.join(path, component))
        folder.type, folder.mode = tarfile.DIRTYPE, 0o777
        members += [folder, link_member(os.path.join(path, step), component)]
        path = os.path.join(path, component)
    deep = os.path.join(*steps, "l" * 254)
    members += [
        link_member(deep, os.path.join(*[".."] * len(steps))),
        link_member("escape", os.path.join(deep, "..")),
        hardlink_member("flaglink", os.path.join("escape", "flag")),
        file_member("flaglink"),
        file_member("escape/newfile"),
    ]
    return members


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextmanager
def serve(files: dict[str, bytes], short: set[str] = frozenset()):
    """Serve ``files`` at ``http://127.0.0.1:<port>/<name>`` from a thread; names in ``short``
    announce their full length but send only half of it."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            name = self.path.lstrip("/")
            if name not in files:
                self.send_error(404)
                return
            data = files[name]
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2] if name in short else data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# A tiny run on scikit-learn's digits (no files to fetch): the knobs the unit tests of training,
# evaluation and their errors share; each test sets its own epochs.
DIGITS_RUN = dict(
    dataset="mnist",
    category="3",
    variant="novelty",
    seed=7,
    loader="digits",
    data_root="",
    protocol={},
    demo=True,
    backbone="resnet18",
    teacher_weights="random",
    image_size=32,
    lr=0.001,
    batch_size=16,
    score="sum",
)
