"""The package's replica writer (rd4ad/data/replicas, ``python -m rd4ad replica``): each dataset's real layout
and mask encoding, read back by its own loader with the right counts, labels and masks; written atomically,
never over a folder it did not write."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from rd4ad.cli import main
from rd4ad.data import load_split
from rd4ad.data.replicas import ReplicaConfig, replica_sizes, write_replica
from rd4ad.data.sizes import split_sizes
from rd4ad.files.errors import RD4ADError

SMALL = ReplicaConfig(categories=("first", "second"), image_size=32, n_train=4, n_test_good=2, n_test_defect=1)
# test images: 2 good + 1 per synthetic defect of the dataset's content (caplet, nut: 3 defects; ceramic: 4)
EXPECTED = {  # loader → (train, test, anomalous, defect names of the test split)
    "visa": (4, 5, 3, {"good", "anomaly"}),
    "loco": (4, 5, 3, {"good", "logical_anomalies", "structural_anomalies"}),
    "mvtec_ad2": (4, 6, 4, {"good", "bad"}),
    "folder": (4, 5, 3, {"good", "abnormal"}),
}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("replicas")
    return {loader: write_replica(loader, root / loader, SMALL) for loader in EXPECTED}


@pytest.mark.parametrize("loader", list(EXPECTED))
def test_each_loader_reads_its_replica_with_the_right_counts_labels_and_masks(written, loader):
    n_train, n_test, n_bad, defects = EXPECTED[loader]
    for category in SMALL.categories:
        train = load_split(loader, written[loader], category, "train", 32)
        test = load_split(loader, written[loader], category, "test", 32)
        assert (len(train.labels), int(train.labels.sum())) == (n_train, 0)
        assert (len(test.labels), int(test.labels.sum())) == (n_test, n_bad)
        assert set(test.defects) == defects
        assert (test.masks[test.labels == 1].sum(axis=(1, 2)) > 0).all()  # every defect is marked
        assert test.masks[test.labels == 0].sum() == 0
    assert replica_sizes(loader, {"n_train": 4, "n_test_good": 2, "n_test_defect": 1}) == (n_train, n_test)


def _values(path):
    return set(np.unique(np.asarray(Image.open(path))).tolist())


def test_the_files_follow_each_real_format(written):
    visa = written["visa"]
    rows = (visa / "split_csv" / "1cls.csv").read_text().splitlines()
    assert rows[0] == "object,split,label,image,mask" and len(rows) == 1 + 2 * (4 + 2 + 3)
    assert "first,test,anomaly,first/Data/Images/Anomaly/000.JPG,first/Data/Masks/Anomaly/000.png" in rows
    assert Image.open(visa / "first/Data/Images/Normal/0000.JPG").format == "JPEG"
    assert _values(visa / "first/Data/Masks/Anomaly/000.png") == {0, 1}  # VisA's masks: 0/1
    loco = written["loco"] / "first"
    assert _values(loco / "ground_truth/logical_anomalies/000/000.png") == {0, 251}  # the defect's pixel value
    assert _values(loco / "ground_truth/structural_anomalies/001/000.png") == {0, 253}
    config = json.loads((loco / "defects_config.json").read_text())
    assert {d["defect_name"]: d["pixel_value"] for d in config} == {"wrong_color": 251, "scratch": 254, "hole": 253}
    assert len(list((loco / "validation/good").iterdir())) == 4  # SPARE
    ad2 = written["mvtec_ad2"] / "first"
    assert _values(ad2 / "test_public/ground_truth/bad/000_regular_mask.png") == {0, 255}
    assert [p.name for p in (ad2 / "test_private").iterdir()] == ["000_regular.png"]
    assert [p.name for p in (ad2 / "test_private_mixed").iterdir()] == ["001_mixed.png"]
    own = written["folder"] / "first"
    assert sorted(p.name for p in own.iterdir()) == ["abnormal", "mask", "normal", "normal_test"]
    assert _values(own / "mask" / "color_000.png") == {0, 255}


def test_same_seed_same_files_and_overwrite_only_a_replica(tmp_path, written):
    again = write_replica("loco", tmp_path / "loco", SMALL)
    first, second = (sorted(p.relative_to(r) for p in r.rglob("*.png")) for r in (written["loco"], again))
    assert first == second
    assert all((written["loco"] / p).read_bytes() == (again / p).read_bytes() for p in first)
    with pytest.raises(RD4ADError, match="already exists; delete it or pass --overwrite"):
        write_replica("loco", again, SMALL)
    assert write_replica("loco", again, SMALL, overwrite=True) == again
    mine = tmp_path / "mine"
    (mine / "parts").mkdir(parents=True)
    with pytest.raises(RD4ADError, match="not a replica written by `python -m rd4ad replica`"):
        write_replica("folder", mine, SMALL, overwrite=True)
    assert (mine / "parts").is_dir()
    with pytest.raises(RD4ADError, match="replica 'mvtec': choose one of visa, loco, mvtec_ad2, folder"):
        write_replica("mvtec", tmp_path / "x", SMALL)


def test_the_cli_writes_a_replica_and_estimate_knows_its_sizes(tmp_path, capsys):
    out = tmp_path / "own"
    assert main(["replica", "folder", "--out", str(out), "--categories", "parts", "--n-train", "5"]) == 0
    assert "wrote the folder replica" in capsys.readouterr().out
    assert len(load_split("folder", out, "parts", "train", 32).labels) == 5
    assert split_sizes("folder", "parts", source="replica", replica={"n_train": 5}) == (5, 8 + 3 * 3)
