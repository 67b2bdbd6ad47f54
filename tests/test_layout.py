"""The results layout (rd4ad/contract/layout.py): run keys, run folders, and reading a tree back."""

from __future__ import annotations

from pathlib import Path

import pytest

from rd4ad.cli import main
from rd4ad.contract.layout import RunFolder, RunKey, complexity_file, complexity_files, parse, run_files
from rd4ad.files.errors import RD4ADError

KEY = RunKey("mvtec", "metal_nut", "headline", 111)


@pytest.mark.parametrize(
    "path",
    [
        "mvtec/metal_nut/headline/seed111",
        "results/demo/mvtec/metal_nut/headline/seed111",
        "/abs/results/mvtec/metal_nut/headline/seed111/metrics.json",
    ],
)
def test_parse_finds_the_run_of_a_key_folder_or_file(path):
    assert parse(path) == KEY and str(KEY) == "mvtec/metal_nut/headline/seed111"


def test_parse_rejects_a_path_outside_a_run():
    with pytest.raises(RD4ADError, match="not a run folder or run key"):
        parse("results/mvtec/complexity/headline.json")


def test_run_folder_files_and_what_the_plan_lists():
    folder = RunFolder(Path("results"), KEY)
    assert (folder.model, folder.resume, folder.log("train")) == (
        Path("results/mvtec/metal_nut/headline/seed111/model.pt"),
        Path("results/mvtec/metal_nut/headline/seed111/resume.pt"),
        Path("results/mvtec/metal_nut/headline/seed111/train.log"),
    )
    assert list(folder.files(audit=False)) == ["model", "loss", "scores", "examples", "metrics"]
    assert folder.files(audit=True)["audit_epochs"] == "mvtec/metal_nut/headline/seed111/audit_epochs.csv"


def test_reading_a_tree_back(tmp_path):
    for path in (
        RunFolder(tmp_path, KEY).metrics,
        tmp_path / "mvtec/x/v/notaseed/metrics.json",
        complexity_file(tmp_path, "mvtec", "headline"),
    ):
        path.parent.mkdir(parents=True)
        path.write_text("{}")
    assert run_files(tmp_path, "metrics") == [(KEY, RunFolder(tmp_path, KEY).metrics)]
    assert complexity_files(tmp_path) == [("mvtec", "headline", complexity_file(tmp_path, "mvtec", "headline"))]


@pytest.mark.parametrize(
    "key",
    [
        "../../x/y/seed0",
        "mvtec/../../../x/y/seed0",
        "mvtec/nut/a b/seed0",
        "mvtec/.hidden/v/seed0",
        "mvtec/nut/v/seed-1",
    ],
)
def test_a_run_key_whose_parts_leave_their_folder_is_refused_everywhere(tmp_path, capsys, key):
    """One rule for every key (RunKey checks its parts): `evaluate --run` may not read or write outside --results."""
    with pytest.raises(RD4ADError, match=r"^run key .*: (\w+ '.*' is not a valid name|the seed must be)"):
        parse(key)
    outside = tmp_path / "x" / "y" / "seed0"
    outside.mkdir(parents=True)
    (outside / "model.pt").write_bytes(b"not a model")
    before = sorted(tmp_path.rglob("*"))
    assert main(["evaluate", "--run", key, "--results", str(tmp_path / "r" / "s"), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rd4ad evaluate: error: run key ") and "Traceback" not in err
    assert sorted(tmp_path.rglob("*")) == before, "nothing read into or written beside a folder outside --results"
    with pytest.raises(RD4ADError, match="is not a valid name"):
        RunKey("..", "nut", "v", 0)


def test_the_rules_path_template_is_the_only_unchecked_key():
    template = RunFolder(Path("results"), RunKey.wildcards())
    assert str(template.model) == "results/{dataset}/{category}/{variant}/seed{seed}/model.pt"
    with pytest.raises(RD4ADError, match="is not a valid name"):
        RunKey("{dataset}", "{category}", "{variant}", 0)


def test_a_folder_of_the_tree_that_no_run_could_have_is_named(tmp_path):
    bad = tmp_path / "mvtec" / "nut" / "old variant" / "seed0" / "metrics.json"
    bad.parent.mkdir(parents=True)
    bad.write_text("{}")
    with pytest.raises(RD4ADError, match=rf"^{bad}: not in a run folder this suite writes \(run key .*\); move it"):
        run_files(tmp_path, "metrics")
