"""Synthetic MVTec-format set: valid layout, byte-identical per seed, masks exactly on the defects;
--overwrite replaces only a synthetic set, in one step."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys

import numpy as np
import pytest
from data_fixtures import mvtec_tree
from PIL import Image

from rd4ad.cli import main
from rd4ad.data import load_split
from rd4ad.data.mvtec import CATEGORIES as MVTEC_CATEGORIES
from rd4ad.data.mvtec import validate_mvtec
from rd4ad.data.synth import CATEGORIES, SynthConfig, generate, textures
from rd4ad.data.synth.defects import DEFECTS
from rd4ad.data.synth.generator import CATEGORY_DEFECTS, normal_image, sample
from rd4ad.data.synth.textures import texture_crop
from rd4ad.data.validate import RECORD
from rd4ad.files.errors import RD4ADError

SMALL = SynthConfig(image_size=48, n_train=3, n_test_good=2, n_test_defect=2)


def _digests(root):
    """The data files' digests (the validation record holds their mtimes, so it differs between runs)."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != RECORD
    }


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("s") / "synth", SMALL)


def test_layout_is_valid_mvtec(synth):
    assert validate_mvtec(synth) == sorted(CATEGORIES) and (synth / RECORD).is_file()
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
@pytest.mark.parametrize("category", ["grass", "nut", "caplet", "ceramic"])
def test_defect_changes_exactly_its_mask(category, defect):
    rng = np.random.default_rng(5)
    image, region = normal_image(category, "test", 96, rng)
    out, mask = DEFECTS[defect](image, region, rng, texture_crop("brick", "test", 96, rng))
    before, after = (np.rint(a * 255).astype(np.uint8) for a in (image, out))
    changed = (before != after).any(axis=2)
    assert mask.sum() >= 20 and not changed[~mask].any() and not mask[~region].any()
    assert changed[mask].mean() > 0.9
    assert np.abs(after.astype(int) - before.astype(int)).max(axis=2)[mask].mean() > 25


@pytest.mark.parametrize("surface", [(0.86, 0.22, 0.16), (0.85, 0.15, 0.1), (0.93, 0.90, 0.84)])
def test_a_colour_stain_always_differs_from_the_surface_it_covers(surface):
    """The stain is blended 60 % towards a palette colour at least 0.4 from the surface: every stained pixel
    moves by at least 0.24 in RGB, whichever colour the generator draws (a red stain on the caplet's red
    half used to move it by 0.05)."""
    image = np.broadcast_to(np.asarray(surface, np.float32), (64, 64, 3)).copy()
    moved = []
    for seed in range(24):
        out, mask = DEFECTS["color"](image, np.ones((64, 64), bool), np.random.default_rng(seed), None)
        moved.append(np.linalg.norm(out[mask] - image[mask], axis=1).min())
    assert min(moved) >= 0.6 * 0.4 - 1e-6, moved


def test_no_synthetic_category_is_named_like_an_mvtec_one():
    """Demo numbers must never fill a row of the paper's tables (the report sets a category's measured value
    against the published one of the same name)."""
    assert not set(CATEGORIES) & set(MVTEC_CATEGORIES) and len(CATEGORIES) == 6


def test_the_ceramic_floor_is_tiled_and_never_the_same_twice():
    """About three tiles across, pale grout lines between them, phase drawn per image."""
    first, second = (sample("ceramic", "train", "good", i, 96, 0)[0].astype(float) for i in (0, 1))
    grout = first.mean(axis=2) > 170  # the grout is pale, the glaze slate blue
    assert 0.08 < grout.mean() < 0.3
    rows, cols = grout.mean(axis=1), grout.mean(axis=0)
    assert (rows > 0.9).sum() >= 3 and (cols > 0.9).sum() >= 3  # whole grout rows and columns: the grid
    assert np.abs(first - second).mean() > 5


def test_train_and_test_textures_come_from_disjoint_halves(monkeypatch):
    halves = np.zeros((512, 512), np.uint8)
    halves[256:] = 255
    monkeypatch.setattr(textures, "texture", lambda name: halves)
    rng = np.random.default_rng(0)
    for size in (48, 256, 300):
        assert texture_crop("gravel", "train", size, rng).max() == 0
        assert texture_crop("gravel", "test", size, rng).min() == 1.0


def test_cli_and_existing_output(tmp_path, capsys):
    args = [
        "synth",
        "--out",
        str(tmp_path / "s"),
        "--image-size",
        "32",
        "--categories",
        "brick",
        "--n-train",
        "2",
        "--n-test-good",
        "1",
        "--n-test-defect",
        "1",
    ]
    assert main(args) == 0 and validate_mvtec(tmp_path / "s") == ["brick"]
    assert main(args) == 2 and "already exists" in capsys.readouterr().err
    assert main(args + ["--overwrite"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]
    with pytest.raises(RD4ADError, match="synth categories"):
        SynthConfig(categories=("carpet",))


def _cli(out, *extra):
    return [
        "synth",
        "--out",
        str(out),
        "--image-size",
        "32",
        "--categories",
        "brick",
        "nut",
        "--n-train",
        "2",
        "--n-test-good",
        "1",
        "--n-test-defect",
        "1",
        *extra,
    ]


@pytest.mark.parametrize("extra", [None, "my_notes.txt"])
def test_overwrite_refuses_a_folder_that_is_not_a_synthetic_set(tmp_path, capsys, extra):
    if extra is None:  # a real dataset copy with the user's own files
        mvtec_tree(tmp_path / "mvtec", categories=("bottle", "screw"))
        (tmp_path / "mvtec" / "README.txt").write_text("my annotations")
    else:  # a synthetic set the user added a file to
        assert main(_cli(tmp_path / "mvtec")) == 0
        (tmp_path / "mvtec" / extra).write_text("mine")
    before = _digests(tmp_path / "mvtec")
    assert main(_cli(tmp_path / "mvtec", "--overwrite")) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'mvtec'}: not a synthetic set written by `python -m rd4ad synth`" in err
    assert err.count("\n") == 1
    assert _digests(tmp_path / "mvtec") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mvtec"]


def test_overwrite_replaces_a_synthetic_set_and_a_file_is_refused(tmp_path, capsys):
    out = tmp_path / "s"
    assert main(_cli(out, "--seed", "1")) == 0
    first = _digests(out)
    assert main(_cli(out, "--seed", "2", "--overwrite")) == 0
    assert _digests(out).keys() == first.keys() and _digests(out) != first
    (tmp_path / "file").write_text("x")
    assert main(_cli(tmp_path / "file", "--overwrite")) == 2
    assert "is a file; --out takes the folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "s"]


def test_a_kill_mid_way_keeps_the_previous_set(tmp_path):
    out = tmp_path / "s"
    assert main(_cli(out, "--seed", "1")) == 0
    before = _digests(out)
    killer = (
        "import os, signal, sys; from rd4ad.cli import main; from rd4ad.data.synth import generator as g; "
        "write = g.write_category; "
        "g.write_category = lambda root, c, cfg: write(root, c, cfg) if c == 'brick' else "
        "os.kill(os.getpid(), signal.SIGKILL); main(sys.argv[1:])"
    )
    proc = subprocess.run([sys.executable, "-c", killer, *_cli(out, "--seed", "2", "--overwrite")])
    assert proc.returncode == -signal.SIGKILL
    assert _digests(out) == before, "the old set must survive a kill"
    left = [p.name for p in tmp_path.iterdir() if p.name != "s"]
    assert len(left) == 1 and left[0].startswith(".s.partial-")
    assert main(_cli(out, "--seed", "2", "--overwrite")) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"], "the killed run's partial folder is cleaned"
    assert _digests(out) != before and validate_mvtec(out) == ["brick", "nut"]
