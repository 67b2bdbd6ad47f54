"""``folder`` (one's own images) on a replica of its documented layout (tests/replicas.py): the folders
or split.csv decide the splits, 0/1 and 0/255 masks both mark defects, a bad file is one line naming it."""

from __future__ import annotations

import numpy as np
import pytest
from replicas import folder_replica, visa_mask

from rd4ad.cli import main
from rd4ad.data import load_split
from rd4ad.data.arrays import resize_mask
from rd4ad.data.folder import validate_folder
from rd4ad.files.errors import RD4ADError

SIZE = 16


@pytest.fixture()
def own(tmp_path):
    return folder_replica(tmp_path / "own")


def test_folders_give_the_splits_and_both_mask_encodings_mark_defects(own):
    assert validate_folder(own) == ["listed", "parts"]
    train = load_split("folder", own, "parts", "train", SIZE)
    assert train.names == [f"train/good/good_{k}" for k in (0, 1, 2, 3, 5)] and not train.labels.any()
    test = load_split("folder", own, "parts", "test", SIZE)
    assert test.names == ["test/good/good_4", "test/abnormal/scratch_0", "test/abnormal/scratch_1"]
    assert test.labels.tolist() == [0, 1, 1] and test.images.shape == (3, 3, SIZE, SIZE)
    for k, mask in enumerate(test.masks[1:]):  # the 0/255 mask and the 0/1 one
        assert mask.any() and np.array_equal(mask, resize_mask(visa_mask(24, 20, 255, 3 + 5 * k), SIZE))
    assert not test.masks[0].any()


def test_split_csv_decides_and_no_masks_means_no_pixel_metrics(own):
    test = load_split("folder", own, "listed", "test", SIZE)
    assert test.names == ["test/abnormal/1", "test/good/3"] and test.labels.tolist() == [1, 0]
    assert test.masks is None
    assert load_split("folder", own, "listed", "train", SIZE).names == ["train/good/0", "train/good/2"]


def test_a_bad_file_is_one_line_naming_it(own, capsys):
    assert main(["fetch", "folder", "--local", str(own)]) == 0
    capsys.readouterr()
    notes = own / "parts" / "normal" / "notes.txt"
    notes.write_text("camera settings\n")
    assert main(["fetch", "folder", "--local", str(own)]) != 0
    error = capsys.readouterr().err.splitlines()[-1]
    assert error.startswith(f"rd4ad fetch: error: {notes}: not an image file (suffixes: .jpg"), error
    assert "other problem" not in error


def test_a_missing_mask_and_a_truncated_image_are_named(own):
    (own / "parts" / "mask" / "scratch_1.png").unlink()
    bad = own / "parts" / "normal" / "good_3.png"
    bad.write_bytes(bad.read_bytes()[:50])
    with pytest.raises(RD4ADError, match=r"mask/scratch_1\.png: missing \(the mask of scratch_1\.jpg\); 1 other"):
        validate_folder(own, ("parts",))


def test_fetch_folder_without_local_is_refused(own, capsys):
    assert main(["fetch", "folder", "--root", str(own)]) != 0
    assert "give --local DIR" in capsys.readouterr().err
