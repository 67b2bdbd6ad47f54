"""Synthetic MVTec-format set: valid layout, byte-identical per seed, masks exactly on the defects."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from rd4ad.cli import main
from rd4ad.data import load_split
from rd4ad.data.mvtec import validate_mvtec
from rd4ad.data.synth import CATEGORIES, SynthConfig, generate
from rd4ad.data.synth.defects import DEFECTS
from rd4ad.data.synth.generator import CATEGORY_DEFECTS, normal_image
from rd4ad.data.synth import textures
from rd4ad.data.synth.textures import texture_crop
from rd4ad.errors import RD4ADError

SMALL = SynthConfig(image_size=48, n_train=3, n_test_good=2, n_test_defect=2)


def _digests(root):
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("s") / "synth", SMALL)


def test_layout_is_valid_mvtec(synth):
    assert validate_mvtec(synth) == sorted(CATEGORIES)
    for category, defects in CATEGORY_DEFECTS.items():
        assert len(defects) >= 3
        assert sorted(p.name for p in (synth / category / "test").iterdir()) == sorted(("good",) + defects)
        assert len(list((synth / category / "train" / "good").glob("*.png"))) == 3
    assert Image.open(synth / "gravel" / "train" / "good" / "000.png").mode == "L"
    assert Image.open(synth / "brick" / "train" / "good" / "000.png").mode == "RGB"


def test_same_seed_identical_bytes_other_seed_differs(synth, tmp_path):
    again = generate(tmp_path / "again", SMALL)
    assert _digests(again) == _digests(synth)
    other = generate(tmp_path / "other", SynthConfig(**{**SMALL.__dict__, "seed": 1, "categories": ("nut",)}))
    assert _digests(other)["nut/train/good/000.png"] != _digests(synth)["nut/train/good/000.png"]
    alone = generate(tmp_path / "alone", SynthConfig(**{**SMALL.__dict__, "categories": ("nut",)}))
    assert _digests(alone)["nut/test/hole/001.png"] == _digests(synth)["nut/test/hole/001.png"]


def test_masks_non_empty_exactly_for_defective_images(synth):
    for category in CATEGORIES:
        test = load_split("mvtec", synth, category, "test", 48)
        assert (test.masks.reshape(len(test.labels), -1).max(axis=1) == test.labels).all()
        assert test.labels.sum() == 2 * len(CATEGORY_DEFECTS[category])
        assert load_split("mvtec", synth, category, "train", 32).images.shape == (3, 3, 32, 32)


@pytest.mark.parametrize("defect", sorted(DEFECTS))
@pytest.mark.parametrize("category", ["grass", "nut"])
def test_defect_changes_exactly_its_mask(category, defect):
    rng = np.random.default_rng(5)
    image, region = normal_image(category, "test", 96, rng)
    out, mask = DEFECTS[defect](image, region, rng, texture_crop("brick", "test", 96, rng))
    before, after = (np.rint(a * 255).astype(np.uint8) for a in (image, out))
    changed = (before != after).any(axis=2)
    assert mask.sum() >= 20 and not changed[~mask].any() and not mask[~region].any()
    assert changed[mask].mean() > 0.9
    assert np.abs(after.astype(int) - before.astype(int)).max(axis=2)[mask].mean() > 25


def test_train_and_test_textures_come_from_disjoint_halves(monkeypatch):
    halves = np.zeros((512, 512), np.uint8)
    halves[256:] = 255
    monkeypatch.setattr(textures, "texture", lambda name: halves)
    rng = np.random.default_rng(0)
    for size in (48, 256, 300):
        assert texture_crop("gravel", "train", size, rng).max() == 0
        assert texture_crop("gravel", "test", size, rng).min() == 1.0


def test_cli_and_existing_output(tmp_path, capsys):
    args = ["synth", "--out", str(tmp_path / "s"), "--image-size", "32", "--categories", "brick",
            "--n-train", "2", "--n-test-good", "1", "--n-test-defect", "1"]
    assert main(args) == 0 and validate_mvtec(tmp_path / "s") == ["brick"]
    assert main(args) == 2 and "already exists" in capsys.readouterr().err
    assert main(args + ["--overwrite"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]
    with pytest.raises(RD4ADError, match="synth categories"):
        SynthConfig(categories=("carpet",))
