"""The CI DAG as the end-to-end tests drive it (tests/test_workflow_e2e.py on this machine,
tests/test_workflow_slurm.py on a SLURM cluster): the Snakemake command line, its environment, and
what a finished run looks like from outside."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TypeVar

import pytest

from rd4ad.files.io import load_checkpoint
from rd4ad.planning.planner import load_yaml, make_plan
from rd4ad.training.hold import HELD
from rd4ad.training.hold import VARIABLE as HOLD_VARIABLE

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "tests" / "baselines" / "ci.json"
CI_CONFIG = REPO / "config" / "ci.yaml"
SLOW_KEY = "mvtec/nut/headline/seed0"  # the run killed mid-training: scheduled first, held after HOLD_EPOCH
SLOW_RUN = f"results/ci/{SLOW_KEY}"
HOLD_EPOCH = 1
HANG_SECONDS = 2400  # one DAG phase; CI's own limit is 90 min: a phase this long has hung, whatever the CPU
FAILING_RUN = "mnist/0/novelty_r18/seed0"  # its evaluation cannot write scores.csv in the first re-run
LOCAL = ("--cores", "2", "--resources", "gpu=2")  # the executor flags of a DAG run on this machine
GROUP = "ci_dag"  # the pytest-xdist group of the local checks of this DAG (tests/conftest.py)
T = TypeVar("T")


def env(workdir: Path) -> dict:
    """The environment of a local DAG run: this venv first, no GPU, the GPU lock files in ``workdir``."""
    return {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "CUDA_VISIBLE_DEVICES": "",
        "RD4AD_GPU_LOCK_DIR": str(workdir / "gpu_locks"),
    }


def command(workdir: Path, *extra: str, executor: tuple[str, ...] = LOCAL) -> list[str]:
    """``snakemake all`` on the CI config in ``workdir``, keeping going past failed jobs as the profiles do.
    On this machine (``LOCAL``) its jobs fork from ``python -m rd4ad preload``, as the demo's do."""
    preload = [sys.executable, "-m", "rd4ad", "preload", "--"] if executor == LOCAL else []
    return [
        *preload,
        sys.executable,
        "-m",
        "snakemake",
        "all",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(CI_CONFIG),
        "--config",
        f"tables={REPO / 'config' / 'tables.yaml'}",
        *executor,
        "--keep-going",
        *extra,
    ]


def start(argv: list[str], environment: dict, log: Path) -> subprocess.Popen:
    """Snakemake in its own process group, its console output to ``log`` (a pipe nobody reads while
    the test waits would fill and stall it)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        return subprocess.Popen(
            argv, env=environment, cwd=REPO, start_new_session=True, stdout=out, stderr=subprocess.STDOUT, text=True
        )


def finish(process: subprocess.Popen, log: Path, what: str) -> tuple[int, str]:
    """Wait for ``process`` to end; its exit code and console output. The limit only guards against a
    hang (HANG_SECONDS, far above any machine's run time) and names what hung."""
    try:
        process.wait(timeout=HANG_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError(
            f"{what} still ran after {HANG_SECONDS} s: hung (its log, {log}, ends with)\n" + log.read_text()[-3000:]
        ) from None
    return process.returncode, log.read_text()


def wait_for(condition: Callable[[], T], process: subprocess.Popen, log: Path, what: str) -> T:
    """Poll ``condition`` until it returns something true; fails if ``process`` ends first (or hangs,
    as :func:`finish` says)."""
    deadline = time.monotonic() + HANG_SECONDS
    while not (found := condition()):
        if process.poll() is not None:
            raise AssertionError(
                f"the DAG ended (exit {process.returncode}) before {what}; its log ends with\n"
                + log.read_text()[-3000:]
            )
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            raise AssertionError(f"no {what} after {HANG_SECONDS} s: hung; {log} ends with\n" + log.read_text()[-3000:])
        time.sleep(0.05)
    return found


def held(run: Path) -> bool:
    """Whether the training job of ``run`` is waiting at its hold (RD4AD_TEST_HOLD, rd4ad/training/hold.py)."""
    log = run / "train.log"
    return log.is_file() and HELD in log.read_text()


def finished(model: Path) -> tuple[str, int]:
    """A finished run as training left it: its weights' digest and when its loss.csv was last written
    (every epoch rewrites it). Snakemake may touch model.pt itself."""
    return hashlib.sha256(model.read_bytes()).hexdigest(), (model.parent / "loss.csv").stat().st_mtime_ns


def finished_runs(workdir: Path) -> dict[Path, tuple[str, int]]:
    return {p: finished(p) for p in (workdir / "results").rglob("model.pt")}


def job_counts(out: str) -> dict[str, int]:
    """The "Job stats" table Snakemake prints before running: rule → jobs."""
    table = out.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.M)}


def local_baseline(results: Path, dest: Path) -> Path:
    """A baseline of ``results`` as made on this machine (its values, environment and digests), with the
    committed baseline's seed spreads (a property of the config, measured over three seeds): what the
    drift check's same-environment rule is tested against on any CPU."""
    from rd4ad.drift import write_baseline

    write_baseline(dest, results)
    data = json.loads(dest.read_text())
    data["spread_pp"] = json.loads(BASELINE.read_text())["spread_pp"]
    dest.write_text(json.dumps(data))
    return dest


def ci_plan():
    return make_plan({**load_yaml(CI_CONFIG), "tables": str(REPO / "config" / "tables.yaml")})


def kill_and_resume(workdir: Path) -> SimpleNamespace:
    """The CI DAG killed like a lost node right after a model.pt appeared while the slow run holds a
    checkpoint, re-run as docs/failures-and-resume.md says with one evaluation failing, then once more after the cause
    is gone. The kill moment is caused, not raced: the slow run is held after its first epoch
    (RD4AD_TEST_HOLD) until the kill, so it holds a checkpoint and no model.pt on any CPU."""
    slow = workdir / SLOW_RUN
    logs = workdir / "console"
    blocker = workdir / "results" / "ci" / FAILING_RUN / "scores.csv"
    blocker.mkdir(parents=True)  # a folder where evaluate writes scores.csv: that job fails
    holding = {**env(workdir), HOLD_VARIABLE: f"{SLOW_KEY}@{HOLD_EPOCH}"}
    first = start(command(workdir, "--prioritize", f"{SLOW_RUN}/model.pt"), holding, logs / "first.log")
    try:
        wait_for(lambda: held(slow), first, logs / "first.log", f"the slow run held after epoch {HOLD_EPOCH}")
        others = len(ci_plan().runs) - 1
        before = {p for p in (workdir / "results").rglob("model.pt")}

        def a_model_appeared():
            models = {p for p in (workdir / "results").rglob("model.pt") if p.parent != slow}
            return sorted(models - before) or (len(models) == others and sorted(models))

        fresh = wait_for(a_model_appeared, first, logs / "first.log", "another run's model.pt")
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)  # no cleanup: a lost node
    first.wait()
    just_written = max(fresh, key=lambda p: p.stat().st_mtime_ns).parent

    assert not (slow / "model.pt").exists()
    resume = load_checkpoint(slow / "resume.pt")
    done = finished_runs(workdir)
    subprocess.run(command(workdir, "--unlock"), env=env(workdir), check=True, capture_output=True)
    code, failed_out = finish(
        start(command(workdir, "--rerun-incomplete"), env(workdir), logs / "failed.log"),
        logs / "failed.log",
        "the re-run after the kill",
    )
    report = (workdir / "reports" / "ci" / "index.html").read_text()
    blocker.rmdir()
    code_retry, retry_out = finish(
        start(command(workdir, "--rerun-incomplete"), env(workdir), logs / "retry.log"),
        logs / "retry.log",
        "the retry of the failed evaluation",
    )
    assert code_retry == 0, retry_out[-3000:]
    return SimpleNamespace(
        workdir=workdir,
        resume=resume,
        done=done,
        just_written=just_written,
        failed=(code, failed_out, report),
        retry=retry_out,
    )


@dataclass(frozen=True)
class Failed:
    """A session step that did not finish: the test that reports it, and why (for the others to skip)."""

    reporter: str
    cause: str
    skipped: bool = False

    def require(self):
        pytest.skip(
            f"{self.cause.splitlines()[0][:300]}"
            if self.skipped
            else f"not checked: the step it needs failed, as {self.reporter} reports"
        )


def required(outcome: T | Failed) -> T:
    """The outcome of a session step, or this test skipped because the step failed (or was skipped)."""
    if isinstance(outcome, Failed):
        outcome.require()
    return outcome


def once_per_session(folder: Path, name: str, make: Callable[[Path], T], reporter: str) -> T | Failed:
    """``make(folder / name)`` once for every pytest-xdist worker of the session (``folder`` is
    theirs in common): the first worker to ask runs it holding ``folder/<name>.lock``, the others
    wait for it and read its pickled result. A step that fails or skips is recorded as
    :class:`Failed` once: ``reporter`` (a test) reports the cause, every other test that needs the
    step skips (:func:`required`), and nothing after it starts from a half-made tree."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = folder / f"{name}.pickle"
        if result.is_file():
            return pickle.loads(result.read_bytes())
        try:
            made = make(folder / name)
        except pytest.skip.Exception as skip:
            made = Failed(reporter, str(skip.msg), skipped=True)
        except Exception as err:  # recorded for the reporter, which fails with it
            made = Failed(reporter, f"{type(err).__name__}: {err}\n{traceback.format_exc()[-4000:]}")
        result.write_bytes(pickle.dumps(made))
        return made
