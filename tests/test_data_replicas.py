"""The loaders on replicas of the real formats (tests/replicas.py): every file decoded when fetched,
hidden and stray files skipped by one rule, a damaged file named (and extracted again where the
suite can), and `fetch --local` honoured for every dataset or refused."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil

import numpy as np
import pytest
import torch
from data_fixtures import DIGITS_RUN
from replicas import LABELS_MAGIC, caltech_replica, cifar_replica, idx_bytes, mnist_replica
from torchvision.datasets import CIFAR10, MNIST

from rd4ad.cli import main
from rd4ad.contract.run import RunConfig
from rd4ad.data import load_split
from rd4ad.data.caltech import protocol_files, validate_caltech
from rd4ad.data.torchvision_sets import fetch_torchvision
from rd4ad.files.errors import RD4ADError

TRAIN = np.arange(30) % 10
TEST = np.arange(20) % 10
OFFLINE = "http://127.0.0.1:9"
IMAGES = "train-images-idx3-ubyte"


@pytest.fixture()
def mnist(tmp_path, monkeypatch):
    """An MNIST replica whose gzipped files are the ones torchvision's MD5s name."""
    raw = mnist_replica(tmp_path, "MNIST", TRAIN, TEST)
    sums = [(name, hashlib.md5((raw / name).read_bytes()).hexdigest()) for name, _ in MNIST.resources]
    monkeypatch.setattr(MNIST, "resources", sums)
    return tmp_path, raw


@pytest.fixture()
def cifar(tmp_path, monkeypatch):
    md5 = cifar_replica(tmp_path, TRAIN, TEST)
    monkeypatch.setattr(CIFAR10, "train_list", [[f"data_batch_{k}", md5[f"data_batch_{k}"]] for k in range(1, 6)])
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5["batches.meta"]})
    return tmp_path


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "AssertionError" not in err, err
    return err


def test_the_mnist_replica_loads_and_fetch_local_validates_it_in_place(mnist, capsys):
    root, raw = mnist
    before = sorted((p.name, p.stat().st_mtime_ns) for p in raw.iterdir())
    assert main(["fetch", "mnist", "--local", str(root)]) == 0
    assert capsys.readouterr().out == f"{root}\n"
    assert sorted((p.name, p.stat().st_mtime_ns) for p in raw.iterdir()) == before, "nothing changed"
    train = load_split("mnist", root, "3", "train", 32)
    assert train.images.shape == (3, 3, 32, 32) and torch.equal(train.images[:, 0], train.images[:, 2])


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_a_bad_magic_is_one_line_naming_the_file(mnist, capsys, gz):
    root, raw = mnist
    bad = raw / (IMAGES + (".gz" if gz else ""))
    content = b"\x00\x00\x09\x99" + idx_bytes(np.zeros((30, 28, 28), np.uint8))[4:]
    bad.write_bytes(gzip.compress(content) if gz else content)
    assert main(["fetch", "mnist", "--local", str(root)]) == 2
    assert _one_line(capsys).startswith(
        f"rd4ad fetch: error: {bad}: not an idx images file (magic 2457, expected 2051)"
    )
    if not gz:
        assert main(["train", "--results", str(root / "r"), "--device", "cpu", "--run-json", _mnist_run(root)]) == 2
        err = _one_line(capsys)
        assert f"{bad}: not an idx images file" in err and "fetch mnist --root" in err


def _mnist_run(root) -> str:
    run = RunConfig(**{**DIGITS_RUN, "loader": "mnist", "data_root": str(root)}, epochs=1)
    return json.dumps(run.to_dict())


def test_swapped_image_and_label_files_are_named(mnist, capsys):
    root, raw = mnist
    images, labels = raw / IMAGES, raw / "train-labels-idx1-ubyte"
    content = images.read_bytes()
    images.write_bytes(labels.read_bytes())
    labels.write_bytes(content)
    with pytest.raises(RD4ADError) as err:
        load_split("mnist", root, "3", "train", 32)
    assert str(err.value).startswith(
        f"{images}: holds labels (idx magic {LABELS_MAGIC}), not images (2051): the image and label files "
        f"are swapped or misnamed; 1 other problem: {labels} (holds images"
    )


def test_a_truncated_extracted_idx_file_is_extracted_again_by_fetch(mnist, capsys):
    root, raw = mnist
    cut = raw / IMAGES
    good = cut.read_bytes()
    cut.write_bytes(good[: len(good) // 2])
    with pytest.raises(RD4ADError, match=f"^{cut}: truncated: .*run `python -m rd4ad fetch mnist --root {root}`"):
        load_split("mnist", root, "3", "train", 32)
    assert fetch_torchvision("mnist", root, mirror=OFFLINE) == root
    assert cut.read_bytes() == good
    assert f"{cut}: truncated: {len(good) // 2} bytes" in capsys.readouterr().err
    assert len(load_split("mnist", root, "3", "train", 32).labels) == 3


def test_fetch_local_without_root_is_honoured_or_refused(mnist, tmp_path, capsys):
    root, _ = mnist
    assert main(["fetch", "mnist", "--local", str(tmp_path / "nowhere")]) == 2
    assert "nowhere/MNIST/raw: mnist not found" in _one_line(capsys)
    assert not (tmp_path / "None").exists()
    assert main(["fetch", "mnist", "--local", str(root), "--root", str(tmp_path / "x")]) == 2
    assert "--local DIR uses an existing copy in place and cannot be combined with --root" in _one_line(capsys)
    assert main(["fetch", "weights", "--local", str(root)]) == 2
    assert "fetch weights: --local is for datasets" in _one_line(capsys)


def test_the_cifar_replica_loads_and_a_damaged_batch_is_named(cifar, capsys):
    train = load_split("cifar10", cifar, "7", "train", 32)
    assert len(train.labels) == 3 and train.normalize is True
    assert main(["fetch", "cifar10", "--local", str(cifar)]) == 0
    batch = cifar / "cifar-10-batches-py" / "data_batch_2"
    batch.write_bytes(batch.read_bytes()[:-100])
    assert main(["fetch", "cifar10", "--local", str(cifar)]) == 2
    assert _one_line(capsys).startswith(f"rd4ad fetch: error: {batch}: damaged (its MD5 is not the official")
    with pytest.raises(RD4ADError, match=f"^{batch}: damaged"):
        load_split("cifar10", cifar, "7", "train", 32)


def test_the_caltech_replica_skips_hidden_and_stray_files(tmp_path):
    root = caltech_replica(tmp_path / "caltech256", clutter=90)
    validate_caltech(root)
    split = protocol_files(root, 0, n_inlier_categories=256, outlier_ratio=0.25)
    used = [p for p, _ in split["train"] + split["test"]]
    assert not any(p.name.startswith(".") or p.suffix != ".jpg" or p.parent.name == "greg" for p in used)
    assert len(split["train"]) == 256 * 2 and len(split["test"]) == 256 + 85
    arrays = load_split("caltech256", root, "r0", "train", 8, n_inlier_categories=256, outlier_ratio=0.25)
    assert arrays.images.shape == (512, 3, 8, 8)


def test_a_damaged_caltech_jpeg_stops_the_fetch_named(tmp_path):
    root = caltech_replica(tmp_path / "caltech256")
    bad = root / "256_ObjectCategories" / "002.cat2" / "002_0001.jpg"
    bad.write_bytes(bad.read_bytes()[:40])
    with pytest.raises(RD4ADError, match=f"^{bad}: unreadable"):
        validate_caltech(root)
    shutil.rmtree(root)
