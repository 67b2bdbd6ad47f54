"""VisA on a replica of its archive (tests/replicas.py): the one-class split CSV decides train and test,
0/1 and 0/255 masks both mark defects, a bad file or CSV line is one error naming it."""

from __future__ import annotations

import io
import tarfile

import numpy as np
import pytest
from replicas import visa_mask, visa_replica

from rd4ad.cli import main
from rd4ad.data import load_split
from rd4ad.data.arrays import resize_mask
from rd4ad.data.download import RemoteFile, file_digest
from rd4ad.data.visa import ARCHIVE, fetch_visa, validate_visa
from rd4ad.files.errors import RD4ADError

SIZE = 16


@pytest.fixture()
def visa(tmp_path):
    return visa_replica(tmp_path / "visa")


def test_the_csv_decides_the_splits_and_both_mask_encodings_mark_defects(visa):
    train = load_split("visa", visa, "candle", "train", SIZE)
    assert train.names == ["train/normal/0836", "train/normal/0012"] and not train.labels.any()
    test = load_split("visa", visa, "candle", "test", SIZE)
    assert test.names == ["test/normal/0451", "test/anomaly/000", "test/anomaly/001"]
    assert test.labels.tolist() == [0, 1, 1] and test.defects == ["good", "anomaly", "anomaly"]
    assert test.images.shape == (3, 3, SIZE, SIZE)
    for k, mask in enumerate(test.masks[1:]):  # the 0/1 mask and the 0/255 one, read as the 0/255 one
        assert np.array_equal(mask, resize_mask(visa_mask(30, 20, 255, 2 + 6 * k), SIZE)) and mask.any()
    assert not test.masks[0].any()


def test_fetch_local_validates_every_object_and_names_a_damaged_jpeg(visa, capsys):
    assert main(["fetch", "visa", "--local", str(visa)]) == 0
    bad = visa / "pcb1" / "Data" / "Images" / "Anomaly" / "001.JPG"
    bad.write_bytes(bad.read_bytes()[:60])
    assert main(["fetch", "visa", "--local", str(visa)]) != 0
    notice, error = capsys.readouterr().err.splitlines()  # the changed object is checked again, then one line
    assert notice == f"{visa / 'pcb1'}: files changed since the dataset was checked; checking them again"
    assert error.startswith(f"rd4ad fetch: error: {bad}: unreadable (image does not decode"), error


def test_an_all_zero_mask_and_a_file_the_csv_does_not_name_are_reported(visa):
    (visa / "cashew" / "Data" / "Masks" / "Anomaly" / "000.png").write_bytes(_png(visa_mask(30, 20, 0, 2)))
    stray = visa / "cashew" / "Data" / "Images" / "Normal" / "9999.JPG"
    stray.write_bytes((visa / "cashew" / "Data" / "Images" / "Normal" / "0836.JPG").read_bytes())
    with pytest.raises(
        RD4ADError,
        match=r"9999\.JPG: not named by split_csv/1cls\.csv; 1 other problem: "
        r".*000\.png \(mask has no defect pixel \(none non-zero",
    ):
        validate_visa(visa, ("cashew",))


def test_a_malformed_csv_line_is_named(visa):
    csv = visa / "split_csv" / "1cls.csv"
    lines = csv.read_text().splitlines()
    lines[1] = lines[1].replace(",train,normal,", ",train,anomaly,")
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(RD4ADError, match=r"1cls\.csv:2: split 'train' / label 'anomaly' is not one-class"):
        validate_visa(visa, ("candle",))


def test_fetch_extracts_the_archive_layout_and_validates(visa, tmp_path):
    archive = tmp_path / "mirror" / "VisA_20220922.tar"
    archive.parent.mkdir()
    with tarfile.open(archive, "w") as tar:
        for path in sorted(visa.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(visa)), recursive=False)
    remote = RemoteFile(ARCHIVE.url, "sha256", file_digest(archive, "sha256"), "test")
    root = fetch_visa(tmp_path / "fetched", mirror=archive.parent.as_uri(), remote=remote)
    assert len(load_split("visa", root, "pcb4", "test", SIZE).labels) == 3


def _png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
