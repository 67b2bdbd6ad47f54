"""A job's error outlives a full disk: with ``--log FILE`` the one-line error reaches the original
stderr too and, when FILE cannot take it, a note outside the run folder that the report reads, so a
run that failed for want of space is "failed" with its cause, not "unfinished"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from data_fixtures import DIGITS_RUN

from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.files.joblog import note_path
from rd4ad.report.failures import run_failure

REPO = Path(__file__).resolve().parents[1]
RUN = RunConfig(**DIGITS_RUN, epochs=1)


def _train(results: Path, log: str, tmp: Path, **changes) -> subprocess.CompletedProcess:
    run = json.dumps({**RUN.to_dict(), **changes})
    return subprocess.run(
        [sys.executable, "-m", "rd4ad", "train", "--results", str(results), "--device", "cpu", "--run-json", run]
        + ["--log", log],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(tmp)},
    )


def test_an_error_the_log_cannot_take_reaches_stderr_and_a_note(tmp_path, monkeypatch):
    done = _train(tmp_path / "r", "/dev/full", tmp_path, lr=float("nan"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("rd4ad train: error: run config key 'lr'"), done
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert note_path("/dev/full").read_text().splitlines() == [done.stderr.strip(), "/dev/full"]


def test_an_error_the_log_takes_is_also_on_stderr_and_no_note_is_kept(tmp_path, monkeypatch):
    log = tmp_path / "train.log"
    done = _train(tmp_path / "r", str(log), tmp_path, lr=float("nan"))
    assert done.returncode == 2 and log.read_text() == done.stderr and done.stderr.count("\n") == 1
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert not note_path(log).exists()


def test_the_report_tells_a_kept_error_from_an_unfinished_run(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    folder = RunFolder(tmp_path / "results", RUN.key)
    log = folder.log("train")
    log.parent.mkdir(parents=True)
    log.write_text("")
    assert run_failure(folder)["state"] == "unfinished"
    line = f"rd4ad train: error: cannot write {folder.path / 'loss.csv'}: No space left on device; free space there"
    note_path(log).parent.mkdir(parents=True)
    note_path(log).write_text(f"{line}\n{log}\n")
    assert run_failure(folder) == {**run_failure(folder), "state": "failed", "job": "train", "error": line}
    os.utime(note_path(log), ns=(1, 1))  # kept by an earlier attempt: this one is unfinished
    assert run_failure(folder)["state"] == "unfinished"


@pytest.fixture
def full_disk(tmp_path):
    """A 1 MiB tmpfs filled to the last byte (skipped where it cannot be mounted: not root)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1M", "tmpfs", str(disk)]).returncode:
        pytest.skip("mounting a tmpfs needs root")
    try:
        with open(disk / "filler", "wb", buffering=0) as handle:
            try:
                while handle.write(b"\0" * 4096):
                    pass
            except OSError:
                pass
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_job_on_a_full_disk_reports_its_cause(full_disk, tmp_path, monkeypatch):
    folder = RunFolder(full_disk / "results", RUN.key)
    folder.path.mkdir(parents=True)
    done = _train(full_disk / "results", str(folder.log("train")), tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done
    assert f"{folder.path}: No space left on device" in done.stderr
    assert folder.log("train").read_text() == ""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    failure = run_failure(folder)
    assert failure["state"] == "failed" and failure["error"] == done.stderr.strip()
