"""The CI DAG as the end-to-end tests drive it (tests/test_workflow_e2e.py on this machine,
tests/test_workflow_slurm.py on a SLURM cluster): the Snakemake command line, its environment, and
what a finished run looks like from outside."""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, TypeVar

from rd4ad.files.io import load_checkpoint
from rd4ad.planning.planner import load_yaml, make_plan

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "tests" / "baselines" / "ci.json"
CI_CONFIG = REPO / "config" / "ci.yaml"
SLOW_RUN = "results/ci/mvtec/nut/wrn50_256/seed0"  # 30 epochs, a resume.pt every 6 s; scheduled first
SLOW_EPOCHS = 30
FAILING_RUN = "mnist/0/novelty_r18/seed0"  # its evaluation cannot write scores.csv in the first re-run
GROUP = "ci_dag"  # the pytest-xdist group of the local checks of this DAG (tests/conftest.py)
T = TypeVar("T")


def env(workdir: Path) -> dict:
    """The environment of a local DAG run: this venv first, no GPU, the GPU lock files in ``workdir``."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "CUDA_VISIBLE_DEVICES": "", "RD4AD_GPU_LOCK_DIR": str(workdir / "gpu_locks")}


def command(workdir: Path, *extra: str, executor: tuple[str, ...] = ("--cores", "2", "--resources", "gpu=2")) -> list[str]:
    """``snakemake all`` on the CI config in ``workdir``, keeping going past failed jobs as the profiles do."""
    return [sys.executable, "-m", "snakemake", "all", "--snakefile", str(REPO / "Snakefile"),
            "--directory", str(workdir), "--configfile", str(CI_CONFIG),
            "--config", f"tables={REPO / 'config' / 'tables.yaml'}", *executor, "--keep-going", *extra]


def start(argv: list[str], environment: dict) -> subprocess.Popen:
    return subprocess.Popen(argv, env=environment, cwd=REPO, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(process: subprocess.Popen) -> tuple[int, str]:
    out, _ = process.communicate(timeout=1200)
    return process.returncode, out


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


def ci_plan():
    return make_plan({**load_yaml(CI_CONFIG), "tables": str(REPO / "config" / "tables.yaml")})


def kill_and_resume(workdir: Path) -> SimpleNamespace:
    """The CI DAG killed right after a model.pt appeared (the slow run holding a checkpoint), re-run as
    the README says with one evaluation failing, then once more after the cause is gone."""
    slow = workdir / SLOW_RUN
    blocker = workdir / "results" / "ci" / FAILING_RUN / "scores.csv"
    blocker.mkdir(parents=True)  # a folder where evaluate writes scores.csv: that job fails
    first = start(command(workdir, "--prioritize", f"{SLOW_RUN}/model.pt"), env(workdir))  # trains while the others finish
    deadline = time.monotonic() + 900
    seen = set()
    fresh = []
    while time.monotonic() < deadline and first.poll() is None:
        models = {p for p in (workdir / "results").rglob("model.pt") if p.parent != slow}
        fresh, seen = sorted(models - seen), models
        if fresh and (slow / "resume.pt").is_file():
            os.killpg(first.pid, signal.SIGKILL)  # no cleanup: a lost node
            break
        time.sleep(0.01)
    assert fresh, "no run finished while the slow run trained:\n" + first.stdout.read()[-3000:]
    first.wait(timeout=60)
    just_written = fresh[0].parent

    assert not (slow / "model.pt").exists()
    resume = load_checkpoint(slow / "resume.pt")
    done = finished_runs(workdir)
    subprocess.run(command(workdir, "--unlock"), env=env(workdir), check=True, capture_output=True)
    code, failed_out = finish(start(command(workdir, "--rerun-incomplete"), env(workdir)))
    report = (workdir / "reports" / "ci" / "index.html").read_text()
    blocker.rmdir()
    code_retry, retry_out = finish(start(command(workdir, "--rerun-incomplete"), env(workdir)))
    assert code_retry == 0, retry_out[-3000:]
    return SimpleNamespace(workdir=workdir, resume=resume, done=done, just_written=just_written,
                           failed=(code, failed_out, report), retry=retry_out)


def once_per_session(folder: Path, name: str, make: Callable[[Path], T]) -> T:
    """``make(folder / name)`` once for every pytest-xdist worker of the session (``folder`` is
    theirs in common): the first worker to ask runs it holding ``folder/<name>.lock``, the others
    wait for it and read its pickled result."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = folder / f"{name}.pickle"
        if result.is_file():
            return pickle.loads(result.read_bytes())
        made = make(folder / name)
        result.write_bytes(pickle.dumps(made))
        return made
