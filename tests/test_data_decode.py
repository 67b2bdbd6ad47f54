"""One decode path: every image reaches its final mode (RGB, masks L) before it is resized, whatever the
file's mode, so the pixels equal the public code's ``.convert('RGB')`` then bilinear ``Resize``."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from replicas import mvtec_replica

from rd4ad.data import load_split
from rd4ad.data.arrays import resize_image, resize_mask, to_8bit

SIZE = 32


def _gradient(mode: str) -> Image.Image:
    """A smooth 90×70 image of ``mode`` (so nearest and bilinear resizing differ)."""
    y, x = np.mgrid[0:70, 0:90]
    rgba = np.stack([x * 2.8, y * 3.6, (x + y) * 1.6, 255 - x * 2], axis=-1).clip(0, 255).astype(np.uint8)
    base = Image.fromarray(rgba, "RGBA")
    if mode == "I;16":
        return Image.fromarray((x * 700 + y * 20).astype(np.uint16))
    if mode == "P":
        return base.convert("RGB").quantize(200)
    if mode == "PA":
        return base.convert("RGB").quantize(200).convert("PA")
    if mode == "1":
        return base.convert("L").convert("1")
    return base.convert(mode)


def _public(image: Image.Image, mode: str) -> np.ndarray:
    """The public pipeline: ``.convert(mode)`` (16 bits: the high byte first), then bilinear resize."""
    return np.asarray(to_8bit(image).convert(mode).resize((SIZE, SIZE), Image.BILINEAR))


@pytest.mark.parametrize("mode", ["P", "PA", "LA", "I;16", "CMYK", "RGBA", "1", "L", "RGB"])
def test_every_mode_converts_before_it_is_resized(mode):
    image = _gradient(mode)
    assert image.mode == mode
    assert np.array_equal(resize_image(image, SIZE).transpose(1, 2, 0), _public(image, "RGB"))
    expected_mask = (_public(image, "L").astype(np.float32) / 255 > 0.5).astype(np.uint8)
    assert np.array_equal(resize_mask(image, SIZE), expected_mask)


def test_a_palette_png_in_an_mvtec_folder_loads_as_the_public_code_reads_it(tmp_path):
    root = mvtec_replica(tmp_path / "mvtec", categories=("bottle",), side=90)
    path = root / "bottle" / "train" / "good" / "001.png"
    assert Image.open(path).mode == "P"
    train = load_split("mvtec", root, "bottle", "train", SIZE)
    assert train.names == ["train/good/000", "train/good/001"]
    assert np.array_equal(train.images[1].permute(1, 2, 0).numpy(), _public(Image.open(path), "RGB"))
