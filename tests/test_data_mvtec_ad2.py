"""MVTec AD 2 on a replica of its layout (tests/replicas.py): the public test set with its
``<stem>_mask.png`` masks is the test split, the private test sets are never read."""

from __future__ import annotations

import numpy as np
import pytest
from replicas import mvtec_ad2_replica, visa_mask

from rd4ad.cli import main
from rd4ad.data import load_split
from rd4ad.data.arrays import resize_mask
from rd4ad.data.mvtec_ad2 import load_mvtec_ad2, source_files, validate_mvtec_ad2
from rd4ad.files.errors import RD4ADError

SIZE = 16


@pytest.fixture()
def ad2(tmp_path):
    return mvtec_ad2_replica(tmp_path / "ad2")


def test_the_public_test_set_is_the_test_split_with_its_masks(ad2):
    test = load_split("mvtec_ad2", ad2, "vial", "test", SIZE)
    assert test.names == ["test/good/000_regular", "test/bad/000_regular", "test/bad/001_overexposed"]
    assert test.labels.tolist() == [0, 1, 1]
    for k, mask in enumerate(test.masks[1:]):
        assert mask.any() and np.array_equal(mask, resize_mask(visa_mask(26, 18, 255, 2 + 6 * k), SIZE))
    assert load_mvtec_ad2(ad2, "vial", "validation", SIZE).names == ["validation/good/000_regular"]
    assert len(load_split("mvtec_ad2", ad2, "vial", "train", SIZE).labels) == 2


def test_the_private_test_sets_are_not_read(ad2):
    private = ad2 / "can" / "test_private" / "000_regular.png"
    private.write_bytes(b"no masks, no labels")
    assert not any("test_private" in str(p) for p in source_files(ad2, "can"))
    validate_mvtec_ad2(ad2, ("can",))


def test_fetch_local_names_a_missing_mask(ad2, capsys):
    assert main(["fetch", "mvtec_ad2", "--local", str(ad2)]) == 0
    mask = ad2 / "rice" / "test_public" / "ground_truth" / "bad" / "001_overexposed_mask.png"
    mask.unlink()
    assert main(["fetch", "mvtec_ad2", "--local", str(ad2)]) != 0
    assert f"{mask}: missing ground-truth mask" in capsys.readouterr().err.splitlines()[-1]
    with pytest.raises(RD4ADError, match="missing ground-truth mask"):
        validate_mvtec_ad2(ad2, ("rice",))
