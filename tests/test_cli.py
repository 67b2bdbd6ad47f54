"""The command line a newcomer meets: help texts and one-line errors."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from rd4ad.cli import build_parser, main
from rd4ad.cli.train import run_config_from_args
from rd4ad.training.config import RunConfig


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


def test_caltech_protocol_flags_become_the_run_config():
    args = build_parser("train").parse_args(
        ["train", "--dataset", "caltech256", "--category", "r1", "--out", "m.pt",
         "--protocol", "n_inlier_categories=3", "outlier_ratio=0.25"])
    run = run_config_from_args(args)
    assert run.protocol == {"n_inlier_categories": 3, "outlier_ratio": 0.25}
    assert RunConfig.from_dict(run.to_dict()) == run


@pytest.mark.parametrize("flags, message", [
    (["--dataset", "caltech256", "--protocol", "outlier_ratio"], "give KEY=NUMBER"),
    (["--dataset", "caltech256", "--protocol", "outliers=0.5"], "unknown keys \\['outliers'\\]"),
    (["--dataset", "mnist", "--protocol", "outlier_ratio=0.5"], "for caltech256 only"),
])
def test_bad_protocol_is_one_clear_error(flags, message, capsys):
    assert main(["train", "--category", "r0", "--out", "m.pt", *flags]) == 2
    assert re.search(message, capsys.readouterr().err)


def test_unexpected_error_is_one_line_and_a_log(monkeypatch, capsys, tmp_path):
    import rd4ad.cli.plan as plan_command
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(plan_command, "resolve_config", lambda *args: {}["boom"])
    assert main(["plan", "--config-json", "{}"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    log = re.fullmatch(r"rd4ad plan: unexpected error: KeyError: 'boom' \(traceback in (\S+); "
                       r"--debug prints it\)\n", err).group(1)
    text = open(log).read()
    assert text.startswith("python -m rd4ad plan --config-json '{}'\n") and "Traceback" in text
    assert main(["--debug", "plan", "--config-json", "{}"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_os_error_is_one_line_naming_the_file(monkeypatch, capsys):
    import rd4ad.cli.plan as plan_command

    def denied(*args):
        raise PermissionError(13, "Permission denied", "/data/config.yaml")

    monkeypatch.setattr(plan_command, "resolve_config", denied)
    assert main(["plan", "--config-json", "{}"]) == 2
    assert capsys.readouterr().err == ("rd4ad plan: error: /data/config.yaml: Permission denied; check its "
                                       "permissions or choose another location\n")
