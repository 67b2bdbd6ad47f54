"""MVTec LOCO AD on a replica of its layout (tests/replicas.py): the mask of an image is the union of its
per-defect masks whatever their pixel values, logical and structural anomalies keep their type, the
validation split loads, a bad file is named."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from replicas import loco_replica, visa_mask

from rd4ad.cli import main
from rd4ad.data import load_split
from rd4ad.data.arrays import resize_mask
from rd4ad.data.loco import CATEGORIES, load_loco, validate_loco
from rd4ad.files.errors import RD4ADError

SIZE = 16


@pytest.fixture()
def loco(tmp_path):
    return loco_replica(tmp_path / "loco")


def test_per_defect_masks_are_united_and_types_kept(loco):
    test = load_split("loco", loco, "pushpins", "test", SIZE)
    assert test.defects == ["good", "logical_anomalies", "structural_anomalies"]
    assert test.labels.tolist() == [0, 1, 1] and test.names[1] == "test/logical_anomalies/000"
    both = np.maximum(np.asarray(visa_mask(28, 20, 255, 1)), np.asarray(visa_mask(28, 20, 255, 12)))
    assert np.array_equal(test.masks[1], resize_mask(Image.fromarray(both, "L"), SIZE))
    assert np.array_equal(test.masks[2], resize_mask(visa_mask(28, 20, 255, 6), SIZE)) and test.masks[2].any()
    assert not test.masks[0].any()
    assert load_loco(loco, "pushpins", "validation", SIZE).names == ["validation/good/000"]
    assert len(load_split("loco", loco, "pushpins", "train", SIZE).labels) == 2


def test_an_image_without_masks_and_a_stray_file_are_named(loco):
    for mask in (loco / "breakfast_box" / "ground_truth" / "structural_anomalies" / "000").iterdir():
        mask.unlink()
    (loco / "breakfast_box" / "validation" / "good" / "notes.txt").write_text("x")
    with pytest.raises(
        RD4ADError, match=r"ground_truth/structural_anomalies/000: no mask for .*; 1 other problem: .*notes\.txt"
    ):
        validate_loco(loco, ("breakfast_box",))


def test_fetch_local_checks_every_category(tmp_path, capsys):
    root = loco_replica(tmp_path / "all", categories=CATEGORIES)
    assert main(["fetch", "loco", "--local", str(root)]) == 0
    (root / "juice_bottle" / "ground_truth" / "logical_anomalies" / "000" / "001.png").write_bytes(b"")
    assert main(["fetch", "loco", "--local", str(root)]) != 0
    assert "001.png: unreadable (empty file)" in capsys.readouterr().err.splitlines()[-1]
