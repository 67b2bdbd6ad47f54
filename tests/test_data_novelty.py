"""One-class novelty splits: torchvision's real classes on tiny raw files, digits, Caltech-256 protocol."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from data_fixtures import caltech_tree
from replicas import cifar_replica, mnist_replica
from torchvision.datasets import CIFAR10

from rd4ad.data import load_split
from rd4ad.data.caltech import protocol_files
from rd4ad.files.errors import RD4ADError

TRAIN = np.arange(30) % 10
TEST = np.arange(20) % 10


@pytest.mark.parametrize("dataset, folder", [("mnist", "MNIST"), ("fmnist", "FashionMNIST")])
def test_mnist_family_one_class_split(tmp_path, dataset, folder):
    mnist_replica(tmp_path, folder, TRAIN, TEST)
    train = load_split(dataset, tmp_path, "3", "train", 32)
    test = load_split(dataset, tmp_path, "3", "test", 32)
    assert train.images.shape == (3, 3, 32, 32) and train.labels.tolist() == [0, 0, 0]
    assert train.names == ["train/00003", "train/00013", "train/00023"] and set(train.defects) == {"3"}
    assert test.images.shape == (20, 3, 32, 32) and int(test.labels.sum()) == 18
    assert test.labels[TEST == 3].tolist() == [0, 0] and test.masks is None
    assert train.normalize is False and torch.equal(test.images[:, 0], test.images[:, 2])


def test_cifar10_one_class_split_through_md5_checks(tmp_path, monkeypatch):
    md5 = cifar_replica(tmp_path, TRAIN, TEST)
    monkeypatch.setattr(CIFAR10, "train_list", [[f"data_batch_{k}", md5[f"data_batch_{k}"]] for k in range(1, 6)])
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5["batches.meta"]})
    train = load_split("cifar10", tmp_path, "7", "train", 32)
    test = load_split("cifar10", tmp_path, "7", "test", 32)
    assert len(train.labels) == 3 and len(test.labels) == 20 and int(test.labels.sum()) == 18
    assert train.normalize is True and not torch.equal(test.images[:, 0], test.images[:, 1])
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(b"corrupt")
    with pytest.raises(RD4ADError, match="test_batch: damaged .*python -m rd4ad fetch cifar10"):
        load_split("cifar10", tmp_path, "7", "test", 32)


def test_missing_torchvision_data_is_a_clear_error(tmp_path):
    with pytest.raises(RD4ADError, match=r"MNIST/raw: mnist not found; run `python -m rd4ad fetch mnist --root"):
        load_split("mnist", tmp_path, "0", "train", 32)
    with pytest.raises(RD4ADError, match="class id '0'..'9'"):
        load_split("mnist", tmp_path, "10", "train", 32)


def test_digits_one_class_split():
    train = load_split("digits", "", "3", "train", 16)
    test = load_split("digits", "", "3", "test", 16)
    assert train.images.shape == (91, 3, 16, 16) and train.labels.sum() == 0
    assert test.images.shape == (899, 3, 16, 16) and int((test.labels == 0).sum()) == 92
    assert train.normalize is False and set(test.defects) == {str(c) for c in range(10)}
    assert train.images.max() == 255 and train.images.min() == 0


def test_caltech_protocol_counts_ratio_and_seed(tmp_path):
    root = caltech_tree(tmp_path, n_categories=6, per_category=9, clutter=30)
    split = protocol_files(root, 0, n_inlier_categories=2)
    assert len(split["train"]) == 2 * 6 and sum(lbl for _, lbl in split["train"]) == 0
    labels = [lbl for _, lbl in split["test"]]
    assert len(labels) == 12 and sum(labels) == 6
    assert all(p.parent.name == "257.clutter" for p, lbl in split["test"] if lbl)
    assert protocol_files(root, 0, n_inlier_categories=2) == split
    assert protocol_files(root, 1, n_inlier_categories=2) != split
    assert sum(lbl for _, lbl in protocol_files(root, 0, outlier_ratio=0.25)["test"]) == 1
    arrays = load_split("caltech256", root, "r0", "test", 8, n_inlier_categories=2, cache_dir=tmp_path / "c")
    assert arrays.images.shape == (12, 3, 8, 8) and arrays.normalize is True and arrays.masks is None
    with pytest.raises(RD4ADError, match="needed for outlier_ratio"):
        protocol_files(root, 0, n_inlier_categories=5, outlier_ratio=0.9)
    with pytest.raises(RD4ADError, match="repeat id 'r0'"):
        load_split("caltech256", root, "0", "test", 8)
