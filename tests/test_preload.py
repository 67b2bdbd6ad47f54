"""`python -m rd4ad preload -- COMMAND`: jobs forked from a process with torch imported give the
fresh process's results bit for bit, keep their own output and exit status, and die with their client."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from data_fixtures import DIGITS_RUN

from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.machine.preload import ENV
from rd4ad.training.hold import HELD
from rd4ad.training.hold import VARIABLE as HOLD_VARIABLE

REPO = Path(__file__).resolve().parents[1]
RUN = RunConfig(**{**DIGITS_RUN, "teacher_weights": "random_calibrated", "epochs": 1})
RD4AD = [sys.executable, "-m", "rd4ad"]
PATIENCE_S = 600  # waits for an event, never a speed limit


def _job(command: str, run: RunConfig, results: Path) -> list[str]:
    flags = ["--results", str(results), "--device", "cpu"]
    if command == "train":
        return [*RD4AD, "train", "--run-json", json.dumps(run.to_dict()), *flags]
    return [*RD4AD, "evaluate", "--run", str(run.key), *flags]


def _shell(*jobs: list[str]) -> str:
    """One shell line running ``jobs`` in turn, each under ``python -X importtime`` (it lists, on the
    job's stderr, every module its own interpreter imports) with one thread, as the rules run them."""
    return " && ".join(
        "OMP_NUM_THREADS=1 " + shlex.join([job[0], "-X", "importtime", *job[1:]]) + " 2>>importtime.txt" for job in jobs
    )


def _metrics(results: Path) -> dict:
    metrics = json.loads(RunFolder(results, RUN.key).metrics.read_text())
    metrics.pop("eval_seconds")
    return metrics


def test_a_preloaded_job_gives_the_fresh_process_metrics_and_imports_no_torch(tmp_path):
    fresh, preloaded = tmp_path / "fresh", tmp_path / "preloaded"
    for folder in (fresh, preloaded):
        folder.mkdir()
    jobs = {f: [_job(c, RUN, f / "results") for c in ("train", "evaluate")] for f in (fresh, preloaded)}
    subprocess.run(["bash", "-c", _shell(*jobs[fresh])], cwd=fresh, check=True)
    subprocess.run([*RD4AD, "preload", "--", "bash", "-c", _shell(*jobs[preloaded])], cwd=preloaded, check=True)

    assert _metrics(fresh / "results") == _metrics(preloaded / "results")
    assert " torch\n" in (fresh / "importtime.txt").read_text()
    assert " torch\n" not in (preloaded / "importtime.txt").read_text(), "the job did not reach the server"


def test_a_preloaded_job_keeps_its_error_and_exit_status(tmp_path):
    bad = [*RD4AD, "evaluate", "--run", "mvtec/none/x/seed0", "--results", str(tmp_path)]
    fresh = subprocess.run(bad, cwd=REPO, capture_output=True, text=True)
    served = subprocess.run([*RD4AD, "preload", "--", *bad], cwd=REPO, capture_output=True, text=True)
    gone = subprocess.run(bad, cwd=REPO, capture_output=True, text=True, env={**os.environ, ENV: str(tmp_path / "no")})
    assert fresh.returncode == served.returncode == gone.returncode == 2
    assert fresh.stderr == served.stderr == gone.stderr
    assert fresh.stderr.startswith("rd4ad evaluate: error: ") and fresh.stderr.count("\n") == 1


def test_a_preloaded_job_dies_with_its_client(tmp_path):
    """SIGKILL leaves no handler to pass anything on: the job notices its connection close."""
    run = RunConfig(**{**DIGITS_RUN, "epochs": 3})
    log = tmp_path / "train.log"
    server = subprocess.Popen(
        [*RD4AD, "preload", "--", "bash", "-c", shlex.join(_job("train", run, tmp_path)) + f" 2>{log}"],
        cwd=REPO,
        env={**os.environ, HOLD_VARIABLE: f"{run.key}@1"},
    )
    deadline = time.monotonic() + PATIENCE_S
    while not (log.is_file() and HELD in log.read_text()):
        assert server.poll() is None and time.monotonic() < deadline, log.read_text() if log.is_file() else ""
        time.sleep(0.2)
    processes = psutil.Process(server.pid).children(recursive=True)
    job = next(p for p in processes if p.ppid() == server.pid and p.cmdline() == psutil.Process(server.pid).cmdline())
    client = next(p for p in processes if p.cmdline()[3:4] == ["train"])
    client.send_signal(signal.SIGKILL)
    assert server.wait(timeout=PATIENCE_S) != 0
    assert not job.is_running() or job.status() == psutil.STATUS_ZOMBIE
    assert not RunFolder(tmp_path, run.key).model.exists()


def test_preload_without_a_command_is_one_clear_error():
    done = subprocess.run([*RD4AD, "preload"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr == "rd4ad preload: error: give the command to run after --, e.g. -- snakemake all --cores 2\n"


def test_a_job_of_another_scheduler_job_runs_in_its_own_process(tmp_path):
    """A SLURM job step on this node must keep its own process, limits and accounting."""
    bad = [sys.executable, "-X", "importtime", "-m", "rd4ad", "evaluate", "--run", "mvtec/none/x/seed0"]
    line = shlex.join([*bad, "--results", str(tmp_path)])
    done = subprocess.run(
        [*RD4AD, "preload", "--", "bash", "-c", f"SLURM_JOB_ID=42 {line}"], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert " torch\n" in done.stderr, "the job went to the server"
    assert [line for line in done.stderr.splitlines() if not line.startswith("import time:")] == [
        f"rd4ad evaluate: error: {tmp_path}/mvtec/none/x/seed0/model.pt: no such checkpoint; train the run first "
        "(python -m rd4ad train …)"
    ]
