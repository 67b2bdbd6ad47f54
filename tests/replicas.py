"""Small replicas of the real datasets, built from their documented formats (no download).

MVTec AD: ``<cat>/train/good``, ``<cat>/test/<defect>``, ``<cat>/ground_truth/<defect>/<stem>_mask.png``
(masks mode L, 0/255), ``license.txt`` and ``readme.txt`` at the top; ``grid`` is a mode-L
category and one bottle image is a palette (P) PNG, as a re-encoded local copy can hold.
MNIST / Fashion-MNIST: idx files, big-endian, magic 2051 (images) / 2049 (labels), in
``<Class>/raw`` both gzipped and extracted, as torchvision leaves them. CIFAR-10: Python-2 pickles
(protocol 2, byte-string keys) in ``cifar-10-batches-py``. Caltech-256: 257 folders ending with
``257.clutter``, a grayscale and a CMYK JPEG, the stray ``198.spider/RENAME2`` file, the
``056.dog/greg/`` subfolder and a macOS AppleDouble ``._*.jpg`` file.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import struct
from pathlib import Path

import numpy as np
from PIL import Image

from rd4ad.data.mvtec_ad2 import CATEGORIES as MVTEC_AD2_CATEGORIES
from rd4ad.data.visa import CATEGORIES as VISA_CATEGORIES

IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049


def save_image(path: Path, image: Image.Image, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **options)
    return path


def mvtec_replica(root: Path, categories=("bottle", "grid"), side: int = 24) -> Path:
    """Per category 2 train/good, 1 test/good, 2 test/broken_large with masks; ``grid`` mode L."""
    rng = np.random.default_rng(5)
    (root / "license.txt").parent.mkdir(parents=True, exist_ok=True)
    (root / "license.txt").write_text("CC BY-NC-SA 4.0\n")
    (root / "readme.txt").write_text("MVTec AD\n")
    for cat in categories:
        shape = (side, side) if cat == "grid" else (side, side, 3)
        images = [f"train/good/{n}.png" for n in ("000", "001")] + ["test/good/000.png"]
        for name in images + [f"test/broken_large/{k:03d}.png" for k in range(2)]:
            save_image(root / cat / name, Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)))
        for k in range(2):
            mask = np.zeros((side, side), np.uint8)
            mask[k : side // 2 + k, 2:-2] = 255
            save_image(root / cat / "ground_truth" / "broken_large" / f"{k:03d}_mask.png", Image.fromarray(mask, "L"))
    if "bottle" in categories:
        rgb = Image.open(root / "bottle" / "train" / "good" / "001.png").convert("RGB")
        save_image(root / "bottle" / "train" / "good" / "001.png", rgb.quantize(64))
    return root


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """``array`` (uint8) in the idx format: magic (0x0800 + ndim), big-endian dimensions, the bytes."""
    head = struct.pack(">I", 0x0800 + array.ndim if magic is None else magic)
    return head + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()


def mnist_replica(root: Path, class_name: str, train_labels: np.ndarray, test_labels: np.ndarray) -> Path:
    """``root/<class_name>/raw``: the four idx files, each gzipped and extracted; returns the raw folder."""
    raw = root / class_name / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2)
    for prefix, labels in (("train", train_labels), ("t10k", test_labels)):
        images = rng.integers(0, 256, (len(labels), 28, 28), dtype=np.uint8)
        for name, data in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
            (raw / name).write_bytes(idx_bytes(np.asarray(data, np.uint8)))
            (raw / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(np.asarray(data, np.uint8)), mtime=0))
    return raw


class _Python2Pickler(pickle._Pickler):
    """Protocol 2 with ``bytes`` written as Python 2 strings (``SHORT_BINSTRING`` / ``BINSTRING``)."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def python2_pickle(obj) -> bytes:
    buf = io.BytesIO()
    _Python2Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def cifar_replica(root: Path, train_labels: np.ndarray, test_labels: np.ndarray) -> dict[str, str]:
    """``root/cifar-10-batches-py`` as the official tarball holds it; returns each file's MD5."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    batches = {f"data_batch_{k + 1}": part for k, part in enumerate(np.array_split(train_labels, 5))}
    batches["test_batch"] = test_labels
    for name, labels in batches.items():
        entry = {
            b"batch_label": name.encode(),
            b"labels": [int(v) for v in labels],
            b"data": rng.integers(0, 256, (len(labels), 3072), dtype=np.uint8),
            b"filenames": [f"img_{i}.png".encode() for i in range(len(labels))],
        }
        (folder / name).write_bytes(python2_pickle(entry))
    meta = {b"label_names": [f"c{i}".encode() for i in range(10)], b"num_cases_per_batch": 10000, b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(python2_pickle(meta))
    (folder / "readme.html").write_text("<html></html>")
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def _category(k: int) -> str:
    return {56: "056.dog", 198: "198.spider", 257: "257.clutter"}.get(k, f"{k:03d}.cat{k}")


def caltech_replica(root: Path, per_category: int = 3, clutter: int = 10) -> Path:
    """``root/256_ObjectCategories`` with 257 folders of tiny JPEGs and the archive's oddities."""
    rng = np.random.default_rng(1)
    top = root / "256_ObjectCategories"
    for k in range(1, 258):
        folder = top / _category(k)
        for i in range(clutter if k == 257 else per_category):
            pixels = Image.fromarray(rng.integers(0, 256, (12, 10, 3), dtype=np.uint8))
            save_image(folder / f"{k:03d}_{i + 1:04d}.jpg", pixels, quality=90)
    save_image(top / "001.cat1" / "001_0001.jpg", Image.fromarray(rng.integers(0, 256, (12, 10), np.uint8)))
    cmyk = Image.fromarray(rng.integers(0, 256, (12, 10, 4), dtype=np.uint8), "CMYK")
    save_image(top / "002.cat2" / "002_0001.jpg", cmyk, quality=90)
    (top / "198.spider" / "RENAME2").write_text("rename the files\n")
    save_image(top / "056.dog" / "greg" / "vision309.jpg", Image.new("RGB", (8, 8), "gray"))
    (top / "001.cat1" / "._001_0001.jpg").write_bytes(b"\x00\x05\x16\x07AppleDouble resource fork")
    return root


def visa_mask(width: int, height: int, value: int, row: int) -> Image.Image:
    """A VisA mask: mode L, 0 = good, ``value`` (1 as in the archive, or 255) on rows ``row``…``row + 5``."""
    mask = np.zeros((height, width), np.uint8)
    mask[row : row + 6, 4:-4] = value
    return Image.fromarray(mask, "L")


def visa_replica(root: Path, width: int = 30, height: int = 20) -> Path:
    """``VisA_20220922.tar`` as extracted: per object 3 ``Data/Images/Normal/NNNN.JPG`` (2 train, 1 test),
    2 ``Data/Images/Anomaly/NNN.JPG`` with ``Data/Masks/Anomaly/NNN.png`` (one 0/1, one 0/255), RGB JPEGs
    wider than high, and ``split_csv/1cls.csv`` (header object,split,label,image,mask; rows not sorted);
    a macOS ``.DS_Store`` in one image folder."""
    rng = np.random.default_rng(7)
    rows = []
    for obj in VISA_CATEGORIES:
        data = root / obj / "Data"
        for k, split in ((836, "train"), (451, "test"), (12, "train")):
            path = f"{obj}/Data/Images/Normal/{k:04d}.JPG"
            save_image(root / path, Image.fromarray(rng.integers(0, 256, (height, width, 3), np.uint8)), quality=95)
            rows.append(f"{obj},{split},normal,{path},")
        for k, value in ((0, 1), (1, 255)):
            path, mask = f"{obj}/Data/Images/Anomaly/{k:03d}.JPG", f"{obj}/Data/Masks/Anomaly/{k:03d}.png"
            save_image(root / path, Image.fromarray(rng.integers(0, 256, (height, width, 3), np.uint8)), quality=95)
            save_image(root / mask, visa_mask(width, height, value, 2 + 6 * k))
            rows.append(f"{obj},test,anomaly,{path},{mask}")
        (data / "Images" / "Normal" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "split_csv").mkdir(parents=True, exist_ok=True)
    (root / "split_csv" / "1cls.csv").write_text("object,split,label,image,mask\n" + "\n".join(rows) + "\n")
    return root


def folder_replica(root: Path, side: int = 20) -> Path:
    """One's own images as rd4ad/data/folder.py documents them. ``parts``: ``normal/`` 6 images (PNG, an
    upper-case ``.JPG``, a mode-L PNG), ``abnormal/`` 2 JPEGs, ``mask/`` their PNG masks (one 0/255, one
    0/1), a ``.DS_Store``. ``listed``: ``split.csv`` (image,split,label,mask) over ``images/``, no masks."""
    rng = np.random.default_rng(11)

    def pixels(mode: str = "RGB") -> Image.Image:
        shape = (side, side + 4) if mode == "L" else (side, side + 4, 3)
        return Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode)

    parts = root / "parts"
    for k in range(6):
        name, image = (f"good_{k}.JPG", pixels()) if k == 1 else (f"good_{k}.png", pixels("L" if k == 2 else "RGB"))
        save_image(parts / "normal" / name, image)
    for k, value in enumerate((255, 1)):
        save_image(parts / "abnormal" / f"scratch_{k}.jpg", pixels(), quality=95)
        save_image(parts / "mask" / f"scratch_{k}.png", visa_mask(side + 4, side, value, 3 + 5 * k))
    (parts / "normal" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    listed = root / "listed"
    rows = []
    for k, (split, label) in enumerate(
        (("train", "normal"), ("test", "abnormal"), ("train", "normal"), ("test", "normal"))
    ):
        save_image(listed / "images" / f"{k}.png", pixels())
        rows.append(f"images/{k}.png,{split},{label},")
    (listed / "split.csv").write_text("image,split,label,mask\n" + "\n".join(rows) + "\n")
    return root


def loco_replica(root: Path, categories=("breakfast_box", "pushpins"), width: int = 28, height: int = 20) -> Path:
    """MVTec LOCO AD as extracted: per category 2 train/good, 1 validation/good, 1 test/good, 1
    test/logical_anomalies with TWO per-defect masks (``ground_truth/logical_anomalies/000/000.png`` and
    ``001.png``, pixel values 255 and 254 as in defects_config.json), 1 test/structural_anomalies with one
    mask (value 1); RGB PNGs wider than high, masks mode L; ``defects_config.json``, ``license.txt``."""
    rng = np.random.default_rng(3)
    (root / "license.txt").parent.mkdir(parents=True, exist_ok=True)
    (root / "license.txt").write_text("CC BY-NC-SA 4.0\n")
    for cat in categories:
        for name in ("train/good/000.png", "train/good/001.png", "validation/good/000.png", "test/good/000.png"):
            save_image(root / cat / name, Image.fromarray(rng.integers(0, 256, (height, width, 3), np.uint8)))
        for kind in ("logical_anomalies", "structural_anomalies"):
            save_image(
                root / cat / "test" / kind / "000.png",
                Image.fromarray(rng.integers(0, 256, (height, width, 3), np.uint8)),
            )
        save_image(
            root / cat / "ground_truth" / "logical_anomalies" / "000" / "000.png", visa_mask(width, height, 255, 1)
        )
        save_image(
            root / cat / "ground_truth" / "logical_anomalies" / "000" / "001.png", visa_mask(width, height, 254, 12)
        )
        save_image(
            root / cat / "ground_truth" / "structural_anomalies" / "000" / "000.png", visa_mask(width, height, 1, 6)
        )
        (root / cat / "defects_config.json").write_text('[{"defect_name": "missing_item", "pixel_value": 255}]\n')
    return root


def mvtec_ad2_replica(root: Path, categories=MVTEC_AD2_CATEGORIES, width: int = 26, height: int = 18) -> Path:
    """MVTec AD 2 as extracted: per category 2 train/good, 1 validation/good, test_public/good (1) and
    bad (2) with ``test_public/ground_truth/bad/<stem>_mask.png`` (mode L, 0/255), and the private test
    sets ``test_private/`` and ``test_private_mixed/`` (images only, no labels, no masks)."""
    rng = np.random.default_rng(9)
    for cat in categories:
        names = ["train/good/000_regular.png", "train/good/001_regular.png", "validation/good/000_regular.png"]
        names += [
            "test_public/good/000_regular.png",
            "test_public/bad/000_regular.png",
            "test_public/bad/001_overexposed.png",
        ]
        names += ["test_private/000_regular.png", "test_private_mixed/000_mixed.png"]
        for name in names:
            save_image(root / cat / name, Image.fromarray(rng.integers(0, 256, (height, width, 3), np.uint8)))
        for k, stem in enumerate(("000_regular", "001_overexposed")):
            mask = visa_mask(width, height, 255, 2 + 6 * k)
            save_image(root / cat / "test_public" / "ground_truth" / "bad" / f"{stem}_mask.png", mask)
    return root
