"""The command line a newcomer meets: help texts and one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rd4ad.cli import main


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("train", "evaluate", "synth", "fetch", "report", "drift"):
        assert command in out


def test_train_help_explains_the_switches(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--teacher-weights" in out and "imagenet_v1" in out
    assert "eq2: paper Eq. 1-2" in out and "supplement Table 1" in out


def test_missing_checkpoint_is_one_clear_error(tmp_path):
    missing = tmp_path / "nope" / "model.pt"
    proc = subprocess.run([sys.executable, "-m", "rd4ad", "evaluate", "--model", str(missing),
                           "--out", str(tmp_path / "metrics.json"), "--device", "cpu"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"rd4ad evaluate: error: {missing}: no such checkpoint; "
                                   "train the run first (python -m rd4ad train …)")
    assert not (tmp_path / "metrics.json").exists()
