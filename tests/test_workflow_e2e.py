"""End to end (slow, CI): the tiny DAG of config/ci.yaml is killed mid-training, re-run, and
finishes without --rerun-incomplete, resuming the interrupted run and retraining nothing; its
metrics are then checked for drift against the committed baseline tests/baselines/ci.json."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from rd4ad.cli import main
from rd4ad.io import load_checkpoint
from rd4ad.planner import load_yaml, make_plan

REPO = Path(__file__).resolve().parents[1]
SLOW_RUN = "results/ci/mvtec/nut/wrn50_256/seed0"  # 40 epochs, a resume.pt after each
# On the machine that wrote the baseline the drift is exactly 0 (CPU runs are deterministic and a
# resumed run equals an uninterrupted one); another CPU generation may pick other oneDNN kernels,
# whose rounding can reorder a few near-tied scores, hence a small tolerance in percentage points.
DRIFT_TOL_PP = 0.5


def _snakemake(workdir: Path, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "CUDA_VISIBLE_DEVICES": "", "RD4AD_GPU_LOCK_DIR": str(workdir / "gpu_locks")}
    cmd = [sys.executable, "-m", "snakemake", "all", "--snakefile", str(REPO / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(REPO / "config" / "ci.yaml"),
           "--config", f"tables={REPO / 'config' / 'tables.yaml'}", "--cores", "2", "--resources", "gpu=2"]
    return subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kwargs)


@pytest.mark.slow
def test_killed_dag_resumes_without_retraining(tmp_path):
    slow = tmp_path / SLOW_RUN
    first = _snakemake(tmp_path)
    deadline = time.monotonic() + 900
    finished = []
    while time.monotonic() < deadline and first.poll() is None:
        finished = [p for p in (tmp_path / "results").rglob("model.pt") if p.parent != slow]
        if finished and (slow / "resume.pt").is_file():
            break
        time.sleep(0.2)
    assert first.poll() is None, "the DAG ended before the kill:\n" + first.stdout.read()[-3000:]
    assert finished and (slow / "resume.pt").is_file(), "no run finished while the slow run trained"
    os.killpg(first.pid, signal.SIGTERM)
    first.communicate(timeout=120)

    assert not (slow / "model.pt").exists()
    resume = load_checkpoint(slow / "resume.pt")
    done = {p: p.stat().st_mtime_ns for p in (tmp_path / "results").rglob("model.pt")}
    assert 1 <= resume["epoch"] < 40

    second = _snakemake(tmp_path)
    out, _ = second.communicate(timeout=900)
    assert second.returncode == 0, out[-3000:]
    assert {p: p.stat().st_mtime_ns for p in done} == done
    losses = pd.read_csv(slow / "loss.csv")
    assert list(losses["epoch"]) == list(range(1, 41))
    before = pd.DataFrame(resume["losses"])
    pd.testing.assert_frame_equal(losses.iloc[:len(before)].reset_index(drop=True), before, check_dtype=False)
    assert not (slow / "resume.pt").exists()

    plan = make_plan({**load_yaml(REPO / "config" / "ci.yaml"), "tables": str(REPO / "config/tables.yaml")})
    expected = ([f for key in plan.runs for f in (plan.folder(key).model, plan.folder(key).metrics)]
                + [plan.complexity_file(m) for m in plan.complexity.values()] + [plan.path, plan.config["report"]])
    assert [f for f in expected if not (tmp_path / f).is_file()] == []

    assert main(["drift", "--baseline", str(REPO / "tests" / "baselines" / "ci.json"),
                 "--results", str(tmp_path / "results" / "ci"), "--tol", str(DRIFT_TOL_PP)]) == 0
