"""End to end (slow, CI): the DAG of config/ci.yaml is killed mid-training, re-run, and finishes
without --rerun-incomplete, resuming the interrupted run and retraining nothing. Its metrics then
equal the committed baseline tests/baselines/ci.json (pinned CPU numerics: the same bits on every
x86-64 CPU), and two injected regressions — bilinear upsampling with align_corners=False, the Eq. 2
loss in place of the flat one — fail the drift check, naming the metrics that moved."""

import dataclasses
import json
import os
import shutil
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
BASELINE = REPO / "tests" / "baselines" / "ci.json"
CI_CONFIG = REPO / "config" / "ci.yaml"
SLOW_RUN = "results/ci/mvtec/nut/wrn50_256/seed0"  # 16 epochs, a resume.pt after each
SLOW_EPOCHS = 16
# align_corners=False in the upsampling of every anomaly map, applied in the evaluating process.
MISALIGNED = ("import sys, torch.nn.functional as F; from rd4ad.cli import main; up = F.interpolate; "
              "F.interpolate = lambda *a, **k: up(*a, **{**k, 'align_corners': False}); sys.exit(main(sys.argv[1:]))")


def _env(workdir: Path) -> dict:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "CUDA_VISIBLE_DEVICES": "", "RD4AD_GPU_LOCK_DIR": str(workdir / "gpu_locks")}


def _snakemake(workdir: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "snakemake", "all", "--snakefile", str(REPO / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(CI_CONFIG),
           "--config", f"tables={REPO / 'config' / 'tables.yaml'}", "--cores", "2", "--resources", "gpu=2"]
    return subprocess.Popen(cmd, env=_env(workdir), start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    """The CI DAG killed once the slow run has a checkpoint and another run finished, then re-run."""
    workdir = tmp_path_factory.mktemp("ci_dag")
    slow = workdir / SLOW_RUN
    first = _snakemake(workdir)
    deadline = time.monotonic() + 900
    finished = []
    while time.monotonic() < deadline and first.poll() is None:
        finished = [p for p in (workdir / "results").rglob("model.pt") if p.parent != slow]
        if finished and (slow / "resume.pt").is_file():
            break
        time.sleep(0.2)
    assert first.poll() is None, "the DAG ended before the kill:\n" + first.stdout.read()[-3000:]
    assert finished and (slow / "resume.pt").is_file(), "no run finished while the slow run trained"
    os.killpg(first.pid, signal.SIGTERM)
    first.communicate(timeout=120)

    assert not (slow / "model.pt").exists()
    resume = load_checkpoint(slow / "resume.pt")
    done = {p: p.stat().st_mtime_ns for p in (workdir / "results").rglob("model.pt")}
    second = _snakemake(workdir)
    out, _ = second.communicate(timeout=1200)
    assert second.returncode == 0, out[-3000:]
    return workdir, resume, done


@pytest.mark.slow
def test_killed_dag_resumes_without_retraining(killed_and_resumed):
    workdir, resume, done = killed_and_resumed
    slow = workdir / SLOW_RUN
    assert 1 <= resume["epoch"] < SLOW_EPOCHS
    assert {p: p.stat().st_mtime_ns for p in done} == done
    losses = pd.read_csv(slow / "loss.csv")
    assert list(losses["epoch"]) == list(range(1, SLOW_EPOCHS + 1))
    before = pd.DataFrame(resume["losses"])
    pd.testing.assert_frame_equal(losses.iloc[:len(before)].reset_index(drop=True), before, check_dtype=False)
    assert not (slow / "resume.pt").exists()

    plan = _ci_plan()
    expected = ([f for key in plan.runs for f in (plan.folder(key).model, plan.folder(key).metrics)]
                + [plan.complexity_file(m) for m in plan.complexity.values()] + [plan.path, plan.config["report"]])
    assert [f for f in expected if not (workdir / f).is_file()] == []


@pytest.mark.slow
def test_ci_metrics_equal_the_baseline(killed_and_resumed, capsys):
    workdir, _, _ = killed_and_resumed
    code = main(["drift", "--baseline", str(BASELINE), "--results", str(workdir / "results" / "ci")])
    out = capsys.readouterr().out
    assert code == 0, out
    n_values = len(json.loads(BASELINE.read_text())["values"])
    assert out.splitlines()[-1].endswith(f"; {n_values} bit-identical"), out


def _metrics_only_copy(workdir: Path, dest: Path) -> Path:
    """The results tree with its metrics.json files only (what the drift check reads)."""
    shutil.copytree(workdir / "results" / "ci", dest, ignore=lambda d, names: [
        n for n in names if not (Path(d, n).is_dir() or n == "metrics.json")])
    return dest


def _ci_plan():
    return make_plan({**load_yaml(CI_CONFIG), "tables": str(REPO / "config" / "tables.yaml")})


def _rd4ad(workdir: Path, *args: str, driver: tuple[str, ...] = ("-m", "rd4ad")) -> None:
    execution = ["--device", "cpu", "--cpu-numerics", "pinned"]
    subprocess.run([sys.executable, *driver, *args, *execution], cwd=workdir, env=_env(workdir), check=True,
                   capture_output=True)


def _misaligned_upsampling(workdir: Path, results: Path) -> str:
    """The headline run re-evaluated with align_corners=False (its weights copied, not retrained)."""
    key = "mvtec/nut/wrn50_256/seed0"
    shutil.copy(workdir / "results" / "ci" / key / "model.pt", results / key / "model.pt")
    _rd4ad(workdir, "evaluate", "--run", key, "--results", str(results), driver=("-c", MISALIGNED))
    return key


def _eq2_loss(workdir: Path, results: Path) -> str:
    """One run retrained with the Eq. 2 loss in place of the flat one, under its own name."""
    run = dataclasses.replace(_ci_plan().run("mvtec/nut/r18_256/seed0"), loss="eq2")
    _rd4ad(workdir, "train", "--run-json", json.dumps(run.to_dict()), "--results", str(results))
    _rd4ad(workdir, "evaluate", "--run", str(run.key), "--results", str(results))
    return str(run.key)


@pytest.mark.slow
@pytest.mark.parametrize("regression", [_misaligned_upsampling, _eq2_loss], ids=["align_corners", "eq2_loss"])
def test_injected_regression_fails_the_drift_check(killed_and_resumed, tmp_path, capsys, regression):
    workdir, _, _ = killed_and_resumed
    results = _metrics_only_copy(workdir, tmp_path / "ci")
    run = regression(workdir, results)
    code = main(["drift", "--baseline", str(BASELINE), "--results", str(results)])
    out = capsys.readouterr().out
    assert code == 1, out
    failing = out.split("largest moves")[0].splitlines()
    flagged = [line.split()[0] for line in failing if line.endswith(" DRIFT")]
    assert flagged and all(key.startswith(run + "/") for key in flagged), out
