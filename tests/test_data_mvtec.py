"""MVTec loader: contract shapes, the public code's mask threshold, grayscale → RGB, errors, cache."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from data_fixtures import mvtec_tree, write_png
from PIL import Image

from rd4ad.data import load, load_split
from rd4ad.data.arrays import resize_mask
from rd4ad.files.errors import RD4ADError


@pytest.fixture()
def root(tmp_path):
    return mvtec_tree(tmp_path / "mvtec", categories=("bottle", "grid"))


def test_test_split_contract(root):
    arrays = load_split("mvtec", root, "bottle", "test", 16)
    assert arrays.images.dtype == torch.uint8 and arrays.images.shape == (3, 3, 16, 16)
    assert arrays.labels.dtype == np.int64 and arrays.labels.tolist() == [1, 1, 0]
    assert arrays.names == ["test/crack/000", "test/crack/001", "test/good/000"]
    assert arrays.defects == ["crack", "crack", "good"] and arrays.normalize is True
    assert arrays.masks.dtype == np.uint8 and arrays.masks.shape == (3, 16, 16)
    assert arrays.masks[0].sum() == 16 * 8 and arrays.masks[0][:, :8].all()
    assert arrays.masks[1][:8].all() and arrays.masks[1][8:].sum() == 0 and arrays.masks[2].sum() == 0
    expected = Image.open(root / "bottle" / "test" / "good" / "000.png").convert("RGB").resize((16, 16), Image.BILINEAR)
    assert np.array_equal(arrays.images[2].permute(1, 2, 0).numpy(), np.asarray(expected))


def test_grayscale_category_loads_as_rgb(root):
    arrays = load_split("mvtec", root, "grid", "train", 8)
    assert arrays.images.shape == (2, 3, 8, 8) and arrays.labels.tolist() == [0, 0]
    assert torch.equal(arrays.images[:, 0], arrays.images[:, 1]) and torch.equal(
        arrays.images[:, 0], arrays.images[:, 2]
    )
    raw = np.asarray(Image.open(root / "grid" / "train" / "good" / "000.png"))
    assert raw.ndim == 2 and np.array_equal(arrays.images[0, 0].numpy(), raw)


def test_mask_threshold_is_resize_then_strictly_above_half():
    values = np.array([[127, 128]], np.uint8)
    assert resize_mask(Image.fromarray(values), 2).tolist() == [[0, 1], [0, 1]]


def test_unreadable_png_names_the_file(root):
    bad = root / "bottle" / "test" / "crack" / "001.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(RD4ADError, match=f"{bad}: unreadable \\(not an image file PIL can identify\\)"):
        load_split("mvtec", root, "bottle", "test", 8)


def test_empty_category_and_missing_mask_are_clear_errors(root):
    for path in (root / "grid" / "train" / "good").iterdir():
        path.unlink()
    with pytest.raises(RD4ADError, match="grid/train/good: missing or holds no .png images"):
        load_split("mvtec", root, "grid", "train", 8)
    (root / "bottle" / "ground_truth" / "crack" / "000_mask.png").unlink()
    with pytest.raises(RD4ADError, match="000_mask.png: missing ground-truth mask"):
        load_split("mvtec", root, "bottle", "test", 8)


def test_cache_hit_and_invalidation(root, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = load_split("mvtec", root, "bottle", "test", 16, cache_dir=cache)
    assert len(list(cache.glob("mvtec_test_bottle_16_*.pt"))) == 1
    calls = []
    real_build = load._build
    monkeypatch.setattr(load, "_build", lambda *a: calls.append(a) or real_build(*a))
    again = load_split("mvtec", root, "bottle", "test", 16, cache_dir=cache)
    assert calls == [] and torch.equal(again.images, first.images) and np.array_equal(again.masks, first.masks)
    assert again.names == first.names and again.labels.dtype == np.int64
    write_png(root / "bottle" / "test" / "good" / "000.png", np.zeros((8, 8, 3), np.uint8))
    os.utime(root / "bottle" / "test" / "good" / "000.png", ns=(1, 1))
    changed = load_split("mvtec", root, "bottle", "test", 16, cache_dir=cache)
    assert len(calls) == 1 and changed.images[2].sum() == 0 and len(list(cache.glob("*.pt"))) == 2


def test_bad_requests_are_clear_errors(root):
    with pytest.raises(RD4ADError, match="split 'val'"):
        load_split("mvtec", root, "bottle", "val", 8)
    with pytest.raises(RD4ADError, match="takes no protocol keys"):
        load_split("mvtec", root, "bottle", "test", 8, outlier_ratio=0.5)
    with pytest.raises(RD4ADError, match="dataset 'imagenet'"):
        load_split("imagenet", root, "bottle", "test", 8)
