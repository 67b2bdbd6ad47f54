"""The command line a newcomer meets: help texts and one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from rd4ad.cli import main


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("train", "evaluate", "synth", "fetch", "report", "drift", "plan"):
        assert command in out


def test_train_help_says_where_the_run_comes_from(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--run-json" in out and "rd4ad/contract/run.py RunConfig" in out
    assert "python -m rd4ad plan --config config/demo.yaml --run mvtec/ceramic/headline/seed0" in out


def test_missing_checkpoint_is_one_clear_error(tmp_path):
    missing = tmp_path / "mvtec/nut/v/seed0/model.pt"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rd4ad",
            "evaluate",
            "--run",
            "mvtec/nut/v/seed0",
            "--results",
            str(tmp_path),
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"rd4ad evaluate: error: {missing}: no such checkpoint; train the run first (python -m rd4ad train …)"
    )
    assert not (missing.parent / "metrics.json").exists()


def test_plan_prints_one_run_as_train_takes_it(capsys):
    assert main(["plan", "--config", "config/ci.yaml", "--run", "caltech256/3/novelty_r18/seed0"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert (run["loader"], run["score"], run["lr"], run["demo"]) == ("digits", "sum", 0.001, True)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--results", "r", "--run-json", "{not json"], "--run-json: not valid JSON"),
        (["train", "--results", "r", "--run-json", "[1]"], "--run-json: expected a JSON object"),
        (["train", "--results", "r", "--run-json", '{"dataset": "mvtec"}'], "missing keys \\[[^]]*'backbone'"),
        (["evaluate", "--results", "r", "--run", "mvtec/nut"], "not a run folder or run key"),
        (["plan", "--config", "config/ci.yaml", "--run", "mvtec/nut/nope/seed0"], "no planned run"),
    ],
)
def test_bad_job_input_is_one_clear_error(argv, message, capsys):
    assert main(argv) == 2
    assert re.search(message, capsys.readouterr().err)


def test_unexpected_error_is_one_line_and_a_log(monkeypatch, capsys, tmp_path):
    import tempfile

    import rd4ad.cli.plan as plan_command

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(plan_command, "plan_config_file", lambda *args: {}["boom"])
    assert main(["plan", "--config", "config/ci.yaml"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    log = re.fullmatch(
        r"rd4ad plan: unexpected error: KeyError: 'boom' \(traceback in (\S+); "
        r"--debug prints it\)\n",
        err,
    ).group(1)
    text = open(log).read()
    assert text.startswith("python -m rd4ad plan --config config/ci.yaml\n") and "Traceback" in text
    assert main(["--debug", "plan", "--config", "config/ci.yaml"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_os_error_is_one_line_naming_the_file(monkeypatch, capsys):
    import rd4ad.cli.plan as plan_command

    def denied(*args):
        raise PermissionError(13, "Permission denied", "/data/config.yaml")

    monkeypatch.setattr(plan_command, "plan_config_file", denied)
    assert main(["plan", "--config", "/data/config.yaml"]) == 2
    assert capsys.readouterr().err == (
        "rd4ad plan: error: /data/config.yaml: Permission denied; check its permissions or choose another location\n"
    )
