"""The results layout (rd4ad/contract/layout.py): run keys, run folders, and reading a tree back."""

from __future__ import annotations

from pathlib import Path

import pytest

from rd4ad.contract.layout import RunFolder, RunKey, complexity_file, complexity_files, parse, run_files
from rd4ad.files.errors import RD4ADError

KEY = RunKey("mvtec", "metal_nut", "wrn50_256", 111)


@pytest.mark.parametrize("path", ["mvtec/metal_nut/wrn50_256/seed111", "results/demo/mvtec/metal_nut/wrn50_256/seed111",
                                  "/abs/results/mvtec/metal_nut/wrn50_256/seed111/metrics.json"])
def test_parse_finds_the_run_of_a_key_folder_or_file(path):
    assert parse(path) == KEY and str(KEY) == "mvtec/metal_nut/wrn50_256/seed111"


def test_parse_rejects_a_path_outside_a_run():
    with pytest.raises(RD4ADError, match="not a run folder or run key"):
        parse("results/mvtec/complexity/wrn50_256.json")


def test_run_folder_files_and_what_the_plan_lists():
    folder = RunFolder(Path("results"), KEY)
    assert (folder.model, folder.resume, folder.log("train")) == (
        Path("results/mvtec/metal_nut/wrn50_256/seed111/model.pt"),
        Path("results/mvtec/metal_nut/wrn50_256/seed111/resume.pt"),
        Path("results/mvtec/metal_nut/wrn50_256/seed111/train.log"))
    assert list(folder.files(audit=False)) == ["model", "loss", "scores", "examples", "metrics"]
    assert folder.files(audit=True)["audit_epochs"] == "mvtec/metal_nut/wrn50_256/seed111/audit_epochs.csv"


def test_reading_a_tree_back(tmp_path):
    for path in (RunFolder(tmp_path, KEY).metrics, tmp_path / "mvtec/x/v/notaseed/metrics.json",
                 complexity_file(tmp_path, "mvtec", "wrn50_256")):
        path.parent.mkdir(parents=True)
        path.write_text("{}")
    assert run_files(tmp_path, "metrics") == [(KEY, RunFolder(tmp_path, KEY).metrics)]
    assert complexity_files(tmp_path) == [("mvtec", "wrn50_256", complexity_file(tmp_path, "mvtec", "wrn50_256"))]
