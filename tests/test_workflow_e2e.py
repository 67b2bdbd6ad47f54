"""End to end (slow, CI): the DAG of config/ci.yaml killed like a lost node (SIGKILL) right after a
model.pt appeared, while the slow run has a resume checkpoint; the documented re-run (--unlock,
then --rerun-incomplete) with one run's evaluation made to fail ends non-zero but with the report,
which names that run; the same command again runs only that evaluation. Nothing finished is ever
trained again and the interrupted run resumes. The metrics then equal the committed baseline
tests/baselines/ci.json (pinned CPU numerics: the same bits on every x86-64 CPU), and two injected
regressions — bilinear upsampling with align_corners=False, the Eq. 2 loss in place of the flat
one — fail the drift check, naming the metrics that moved."""

import dataclasses
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from rd4ad.cli import main
from rd4ad.files.io import load_checkpoint
from rd4ad.planning.planner import load_yaml, make_plan

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "tests" / "baselines" / "ci.json"
CI_CONFIG = REPO / "config" / "ci.yaml"
SLOW_RUN = "results/ci/mvtec/nut/wrn50_256/seed0"  # 30 epochs, a resume.pt every 6 s; scheduled first
SLOW_EPOCHS = 30
FAILING_RUN = "mnist/0/novelty_r18/seed0"  # its evaluation cannot write scores.csv in the first re-run
# align_corners=False in the upsampling of every anomaly map, applied in the evaluating process.
MISALIGNED = ("import sys, torch.nn.functional as F; from rd4ad.cli import main; up = F.interpolate; "
              "F.interpolate = lambda *a, **k: up(*a, **{**k, 'align_corners': False}); sys.exit(main(sys.argv[1:]))")


def _env(workdir: Path) -> dict:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "CUDA_VISIBLE_DEVICES": "", "RD4AD_GPU_LOCK_DIR": str(workdir / "gpu_locks")}


def _command(workdir: Path, *extra: str) -> list[str]:
    """``snakemake all`` on the CI config in ``workdir``, keeping going past failed jobs as the profiles do."""
    return [sys.executable, "-m", "snakemake", "all", "--snakefile", str(REPO / "Snakefile"),
            "--directory", str(workdir), "--configfile", str(CI_CONFIG),
            "--config", f"tables={REPO / 'config' / 'tables.yaml'}", "--cores", "2", "--resources", "gpu=2",
            "--keep-going", *extra]


def _snakemake(workdir: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(_command(workdir, *extra), env=_env(workdir), start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(process: subprocess.Popen) -> tuple[int, str]:
    out, _ = process.communicate(timeout=1200)
    return process.returncode, out


def _finished(model: Path) -> tuple[str, int]:
    """A finished run as training left it: its weights' digest and when its loss.csv was last written
    (every epoch rewrites it). Snakemake may touch model.pt itself."""
    return hashlib.sha256(model.read_bytes()).hexdigest(), (model.parent / "loss.csv").stat().st_mtime_ns


def _job_counts(out: str) -> dict[str, int]:
    """The "Job stats" table Snakemake prints before running: rule → jobs."""
    table = out.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.M)}


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    """The CI DAG killed right after a model.pt appeared (the slow run holding a checkpoint), re-run as
    the README says with one evaluation failing, then once more after the cause is gone."""
    workdir = tmp_path_factory.mktemp("ci_dag")
    slow = workdir / SLOW_RUN
    blocker = workdir / "results" / "ci" / FAILING_RUN / "scores.csv"
    blocker.mkdir(parents=True)  # a folder where evaluate writes scores.csv: that job fails
    first = _snakemake(workdir, "--prioritize", f"{SLOW_RUN}/model.pt")  # trains while the others finish
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
    done = {p: _finished(p) for p in (workdir / "results").rglob("model.pt")}
    subprocess.run(_command(workdir, "--unlock"), env=_env(workdir), check=True, capture_output=True)
    code, failed_out = _finish(_snakemake(workdir, "--rerun-incomplete"))
    report = (workdir / "reports" / "ci" / "index.html").read_text()
    blocker.rmdir()
    code_retry, retry_out = _finish(_snakemake(workdir, "--rerun-incomplete"))
    assert code_retry == 0, retry_out[-3000:]
    return SimpleNamespace(workdir=workdir, resume=resume, done=done, just_written=just_written,
                           failed=(code, failed_out, report), retry=retry_out)


@pytest.mark.slow
def test_one_failed_run_leaves_a_report_of_the_rest_and_is_retried_alone(killed_and_resumed):
    code, out, report = killed_and_resumed.failed
    assert code != 0, out[-3000:]
    log = f"results/ci/{FAILING_RUN}/evaluate.log"
    assert FAILING_RUN in report and log in report, "the report names the failed run and its log"
    assert "cannot write" in report and "scores.csv" in report, "…and its error line"
    assert _job_counts(killed_and_resumed.retry) == {"evaluate": 1, "report": 1, "all": 1}


@pytest.mark.slow
def test_killed_dag_resumes_without_retraining(killed_and_resumed):
    workdir, resume, done = killed_and_resumed.workdir, killed_and_resumed.resume, killed_and_resumed.done
    slow = workdir / SLOW_RUN
    assert 1 <= resume["epoch"] < SLOW_EPOCHS
    assert killed_and_resumed.just_written / "model.pt" in done
    assert {p: _finished(p) for p in done} == done, \
        "a run that had its model.pt when the DAG was killed is never trained again"
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
    workdir = killed_and_resumed.workdir
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
    workdir = killed_and_resumed.workdir
    results = _metrics_only_copy(workdir, tmp_path / "ci")
    run = regression(workdir, results)
    code = main(["drift", "--baseline", str(BASELINE), "--results", str(results)])
    out = capsys.readouterr().out
    assert code == 1, out
    failing = out.split("largest moves")[0].splitlines()
    flagged = [line.split()[0] for line in failing if line.endswith(" DRIFT")]
    assert flagged and all(key.startswith(run + "/") for key in flagged), out
