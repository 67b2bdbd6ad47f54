"""Images checked when a dataset is fetched, not after training: empty, undecodable, misfit or
foreign files are one error naming them; 16-bit and uppercase .PNG files load with their real
values; the check is recorded, so loads decode nothing to check until a file changes."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from data_fixtures import mvtec_tree, write_png

from rd4ad.cli import main
from rd4ad.data import load_split, validate
from rd4ad.data.mvtec import CATEGORIES, validate_mvtec
from rd4ad.data.validate import RECORD
from rd4ad.files.errors import RD4ADError

FIX = "; repair or remove what is named, or delete the folder and run `python -m rd4ad fetch mvtec` (or `synth`) again"


@pytest.fixture()
def root(tmp_path):
    return mvtec_tree(tmp_path / "mvtec")


@pytest.fixture()
def decodes(monkeypatch):
    """Paths the validation decodes (the loader's own decoding is not counted)."""
    seen = []
    real = validate.open_image
    monkeypatch.setattr(validate, "open_image", lambda path: seen.append(path) or real(path))
    return seen


def _png_bytes(root):
    return (root / "bottle" / "test" / "good" / "000.png").read_bytes()


def test_bad_files_fail_fetch_local_in_one_line_naming_them(root, capsys):
    empty = ["carpet/ground_truth/crack/000_mask.png", "bottle/test/crack/001.png", "capsule/train/good/000.png"]
    for name in empty:
        (root / name).write_bytes(b"")
    (root / "cable" / "test" / "good" / "000.png").write_bytes(_png_bytes(root)[:60])
    (root / "screw" / "train" / "good" / "001.png").write_bytes(b"GIF89a not an image")
    assert main(["fetch", "mvtec", "--local", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "screw" not in err and err.rstrip().endswith(FIX)
    assert err.startswith(
        f"rd4ad fetch: error: {root / empty[0]}: unreadable (empty file); 4 other problems: "
        f"{root / empty[1]} (unreadable (empty file)), {root / 'cable/test/good/000.png'} "
        f"(unreadable (image does not decode: image file is truncated)), "
        f"{root / empty[2]} (unreadable (empty file)) and 1 more; "
    )
    assert not (root / RECORD).exists()


@pytest.mark.parametrize(
    "damage, named, text",
    [
        (
            lambda r: write_png(r / "bottle/ground_truth/crack/000_mask.png", np.full((8, 6), 255, np.uint8)),
            "bottle/ground_truth/crack/000_mask.png",
            "mask is 6×8 pixels but its image 000.png is 8×8",
        ),
        (
            lambda r: write_png(r / "bottle/ground_truth/crack/000_mask.png", np.ones((8, 8), np.uint8)),
            "bottle/ground_truth/crack/000_mask.png",
            "mask has no defect pixel (none above half of 255; masks are 0 = good, 255 = defect)",
        ),
        (
            lambda r: (r / "bottle/test/crack/001.png").unlink(),
            "bottle/ground_truth/crack/001_mask.png",
            "mask without a test image",
        ),
        (
            lambda r: (r / "bottle/ground_truth/crack/001_mask.png").unlink(),
            "bottle/ground_truth/crack/001_mask.png",
            "missing ground-truth mask for",
        ),
        (
            lambda r: (r / "bottle/train/good/002.jpg").write_bytes(b"jpeg"),
            "bottle/train/good/002.jpg",
            "not a .png file (MVTec images and masks are PNG)",
        ),
    ],
    ids=["mask size", "mask 0/1", "mask alone", "mask missing", "jpg"],
)
def test_misfit_masks_and_foreign_files_are_refused(root, damage, named, text):
    damage(root)
    with pytest.raises(RD4ADError) as err:
        validate_mvtec(root, CATEGORIES)
    assert str(err.value).startswith(f"{root / named}: {text}") and str(err.value).endswith(FIX)
    assert "other problem" not in str(err.value)


def test_16_bit_images_and_masks_load_with_their_real_values(root):
    gradient = np.arange(64, dtype=np.uint16).reshape(8, 8) * 1031  # 0 … 64953
    write_png(root / "bottle" / "train" / "good" / "000.png", gradient)
    mask = np.zeros((8, 8), np.uint16)
    mask[:, 5:] = 65535
    write_png(root / "bottle" / "ground_truth" / "crack" / "000_mask.png", mask)
    train = load_split("mvtec", root, "bottle", "train", 8)
    assert [train.images[0, c].numpy().tolist() for c in range(3)] == [(gradient >> 8).tolist()] * 3
    assert train.images[0, 0, 7, 7].item() == 253 and train.images[0, 0, 0, 1].item() == 4
    test = load_split("mvtec", root, "bottle", "test", 8)
    assert test.names[0] == "test/crack/000" and test.masks[0].sum() == 24 and test.masks[0][:, 5:].all()


def test_uppercase_png_is_loaded_and_hidden_files_ignored(root):
    good = root / "bottle" / "train" / "good"
    (good / "001.png").rename(good / "001.PNG")
    (good / "._000.png").write_bytes(b"AppleDouble metadata")
    truth = root / "bottle" / "ground_truth" / "crack"
    (truth / "001_mask.png").rename(truth / "001_mask.PNG")
    train = load_split("mvtec", root, "bottle", "train", 8)
    assert train.names == ["train/good/000", "train/good/001"] and train.images.shape == (2, 3, 8, 8)
    test = load_split("mvtec", root, "bottle", "test", 8)
    assert test.masks[1][:4].all() and test.masks[1][4:].sum() == 0


def test_record_spares_decoding_until_a_file_changes(root, decodes, capsys):
    validate_mvtec(root, CATEGORIES)
    assert len(decodes) == 15 * 7 and (root / RECORD).is_file()  # 5 images and 2 masks per category
    decodes.clear()
    validate_mvtec(root, CATEGORIES)
    first = load_split("mvtec", root, "bottle", "test", 8)
    assert decodes == [] and first.labels.tolist() == [1, 1, 0]

    write_png(root / "bottle" / "test" / "good" / "000.png", np.zeros((8, 8, 3), np.uint8))
    assert load_split("mvtec", root, "bottle", "test", 8).images[2].sum() == 0
    assert len(decodes) == 7 and all("bottle" in str(p) for p in decodes)
    assert (
        f"{root / 'bottle'}: files changed since the dataset was checked; checking them again"
        in capsys.readouterr().err
    )
    decodes.clear()
    load_split("mvtec", root, "bottle", "train", 8)
    load_split("mvtec", root, "grid", "train", 8)
    assert decodes == []

    (root / "bottle" / "test" / "crack" / "000.png").write_bytes(b"")
    for split in ("train", "test"):
        with pytest.raises(RD4ADError, match=f"^{root / 'bottle/test/crack/000.png'}: unreadable \\(empty file\\)"):
            load_split("mvtec", root, "bottle", split, 8, cache_dir=root.parent / "cache")


def test_unwritable_record_only_warns_and_every_load_checks_again(root, decodes, capsys):
    (root / RECORD).mkdir()
    assert main(["fetch", "mvtec", "--local", str(root)]) == 0
    err = capsys.readouterr().err
    assert f"warning: the check of {root} is not recorded (cannot write {root / RECORD}: " in err
    assert "every load will check the images again" in err
    decodes.clear()
    assert len(load_split("mvtec", root, "bottle", "train", 8).labels) == 2 and len(decodes) == 7


def _png_header_only(path, side: int) -> None:
    """A PNG that declares ``side``×``side`` gray pixels and holds none (what a decompression bomb looks like
    before it is decoded)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    "side, detail",
    [
        (12000, "12000×12000 pixels, more than the 16,777,216 this suite decodes"),
        (20000, "more pixels than PIL will decode (Image size (400000000 pixels)"),
    ],
)
def test_a_huge_image_is_refused_before_it_is_decoded(root, capsys, recwarn, side, detail):
    bomb = root / "bottle" / "train" / "good" / "000.png"
    _png_header_only(bomb, side)
    assert main(["fetch", "mvtec", "--local", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"rd4ad fetch: error: {bomb}: unreadable ({detail}") and err.count("\n") == 1, err
    assert not [w for w in recwarn if "DecompressionBomb" in type(w.message).__name__], "no raw PIL warning"
