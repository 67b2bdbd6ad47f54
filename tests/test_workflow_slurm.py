"""End to end under a real SLURM (slow, CI): scripts/slurm_local.sh starts a one-node cluster
(slurmctld, slurmd, munge; two fake GPUs through GRES), and the CI DAG goes on through
profiles/slurm with snakemake-executor-plugin-slurm.

It continues a copy of the DAG the local end-to-end test just finished (tests/ci_dag.py) with one
run removed, one evaluation and the Table 3 measurement undone, so that every GPU rule (train,
evaluate, complexity) and the report run as SLURM jobs without training the whole DAG twice. The
removed run's training job is cancelled with scancel once it holds a checkpoint, and the undone
evaluation cannot write its scores: the command ends non-zero with a report that lists both runs
with their SLURM logs. The same command again resumes the cancelled run from its checkpoint,
trains nothing that had finished, and ends with metrics bit-identical to the local run's on this
machine."""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from ci_dag import (
    HOLD_EPOCH,
    REPO,
    Failed,
    ci_plan,
    command,
    finish,
    finished_runs,
    held,
    local_baseline,
    once_per_session,
    required,
    start,
    wait_for,
)

from rd4ad.cli import main
from rd4ad.contract.layout import RunFolder, parse
from rd4ad.files.io import load_checkpoint
from rd4ad.machine.device import STANDIN_ENV
from rd4ad.training.hold import VARIABLE as HOLD_VARIABLE

pytestmark = pytest.mark.slow

SLURM = REPO / "scripts" / "slurm_local.sh"
PROFILE = REPO / "profiles" / "slurm"
CANCELLED = "mvtec/nut/backbone_r18/seed0"  # held after HOLD_EPOCH (a resume.pt), then cancelled
FAILING = "mvtec/nut/bottleneck_pre_oce/seed0"  # evaluated again; cannot write scores.csv the first time
GPU_RULES = ("train", "evaluate", "complexity")
# The test cluster in place of the profile's site values: partition "debug", no accounting (job
# status from squeue), jobs sized for its 2 CPUs.
TEST_CLUSTER = (
    "--workflow-profile",
    str(PROFILE),
    "--default-resources",
    "slurm_partition=debug",
    "mem_mb=1500",
    "runtime=30",
    "--set-resources",
    *(f"{rule}:{key}={value}" for rule in GPU_RULES for key, value in (("mem_mb", 1500), ("cpus_per_gpu", 1))),
    "--set-threads",
    "complexity=1",
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "2",
    "--latency-wait",
    "5",
)
PINNED = re.compile(r"^gpu_slots: the scheduler pinned this job \((.*)\); no lock taken$", re.M)


def _wildcards(run: str) -> str:
    """How the executor plugin names a run's jobs: its wildcard values joined by "_"."""
    key = parse(run)
    return f"{key.dataset}_{key.category}_{key.variant}_{key.seed}"


@contextmanager
def _slurm_cluster():
    """The one-node cluster of scripts/slurm_local.sh, started if needed and stopped if this started it.

    Skipped only where it cannot be installed (not root: apt and the daemons need it). The test command's
    environment has the executor plugin (the `test` extra), so a missing plugin, or a cluster that does not
    start as root, is a failure, not a skip."""
    if os.geteuid() != 0:
        pytest.skip("no SLURM test cluster: scripts/slurm_local.sh needs root to install and start SLURM")
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        raise RuntimeError("snakemake-executor-plugin-slurm is not installed: run bash scripts/setup_env.sh")
    was_up = subprocess.run(["bash", str(SLURM), "status"], capture_output=True).returncode == 0
    started = subprocess.run(["bash", str(SLURM), "start"], capture_output=True, text=True)
    if started.returncode != 0:
        raise RuntimeError(
            f"the SLURM test cluster did not start: {(started.stderr.strip().splitlines() or ['?'])[-1]}"
        )
    try:
        yield
    finally:
        if not was_up:
            subprocess.run(["bash", str(SLURM), "stop"], capture_output=True)


def _environment(workdir: Path) -> dict:
    """The submitting shell's environment: this venv first; no CUDA_VISIBLE_DEVICES (SLURM sets it); the
    cluster's GPUs declared stand-ins, so that jobs given one run on the CPU."""
    environment = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
    return {
        **environment,
        STANDIN_ENV: "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}",
        "RD4AD_GPU_LOCK_DIR": str(workdir / "gpu_locks"),
    }


def _job_id(comment: str) -> str | None:
    """The id of the running SLURM job whose comment (the plugin's rule_<rule>_wildcards_<values>) is ``comment``."""
    out = subprocess.run(["squeue", "-h", "-t", "RUNNING", "-o", "%i %k"], capture_output=True, text=True).stdout
    return next((line.split()[0] for line in out.splitlines() if line.split()[1:] == [comment]), None)


@pytest.fixture(scope="session")
def slurm_outcome(ci_dag, shared_tmp):
    """The SLURM continuation of the CI DAG, once for all xdist workers, or why it did not finish."""

    def on_the_cluster(folder: Path) -> dict:
        with _slurm_cluster():
            return cancel_fail_and_retry(ci_dag.workdir, folder / "ci")

    return once_per_session(
        shared_tmp, "slurm_dag", on_the_cluster, "tests/test_workflow_slurm.py::test_the_dag_continues_on_slurm"
    )


@pytest.fixture(scope="session")
def slurm_dag(slurm_outcome):
    return required(slurm_outcome)


def test_the_dag_continues_on_slurm(slurm_outcome):
    """The one test that reports why the SLURM continuation did not finish; the others then skip."""
    if isinstance(slurm_outcome, Failed) and not slurm_outcome.skipped:
        pytest.fail(slurm_outcome.cause, pytrace=False)
    required(slurm_outcome)


def cancel_fail_and_retry(finished_dag: Path, workdir: Path) -> dict:
    """``finished_dag`` copied to ``workdir`` less what is to be redone, then run through SLURM
    twice: with one training job cancelled and one evaluation failing, and again as it is."""
    shutil.copytree(finished_dag, workdir, symlinks=True, ignore=shutil.ignore_patterns("gpu_locks"))
    plan = ci_plan()
    results = workdir / plan.config["results"]
    cancelled, failing = RunFolder(results, parse(CANCELLED)), RunFolder(results, parse(FAILING))
    shutil.rmtree(cancelled.path)
    failing.metrics.unlink()
    failing.scores.unlink()
    failing.scores.mkdir()  # a folder where evaluate writes scores.csv: that job fails
    for measurement in plan.complexity.values():
        (workdir / plan.complexity_file(measurement)).unlink()
    (workdir / plan.config["report"]).unlink()
    kept = finished_runs(workdir)

    comment = f"rule_train_wildcards_{_wildcards(CANCELLED)}"
    console = workdir / "console"
    started = time.monotonic()
    holding = {**_environment(workdir), HOLD_VARIABLE: f"{CANCELLED}@{HOLD_EPOCH}"}
    first = start(command(workdir, executor=TEST_CLUSTER), holding, console / "first.log")
    job = wait_for(
        lambda: held(cancelled.path) and _job_id(comment),
        first,
        console / "first.log",
        f"the SLURM training job of {CANCELLED} held after epoch {HOLD_EPOCH}",
    )
    subprocess.run(["scancel", job], check=True)
    code, failed_out = finish(first, console / "first.log", "the SLURM run with a cancelled job")
    first_seconds = time.monotonic() - started
    assert not cancelled.model.exists()
    report = (workdir / plan.config["report"]).read_text()
    resume_epoch = load_checkpoint(cancelled.resume)["epoch"]
    failing.scores.rmdir()
    started = time.monotonic()
    code_retry, retry_out = finish(
        start(command(workdir, executor=TEST_CLUSTER), _environment(workdir), console / "retry.log"),
        console / "retry.log",
        "the SLURM retry",
    )
    return dict(
        workdir=workdir,
        cancelled=cancelled,
        failing=failing,
        kept=kept,
        job=job,
        failed=(code, failed_out, report),
        retry=(code_retry, retry_out),
        resume_epoch=resume_epoch,
        epochs=plan.run(CANCELLED).epochs,
        seconds=(first_seconds, time.monotonic() - started),
    )


def test_a_cancelled_and_a_failed_job_are_listed_with_their_slurm_logs(slurm_dag):
    code, out, report = slurm_dag["failed"]
    assert code != 0, out[-3000:]
    failing, job = slurm_dag["failing"], slurm_dag["job"]
    assert str(failing.log("evaluate").relative_to(slurm_dag["workdir"])) in report
    assert f".snakemake/slurm_logs/rule_evaluate/{_wildcards(FAILING)}/" in report, (
        "…with the SLURM log the plugin kept"
    )
    assert re.search(r"rd4ad evaluate: error: cannot write [^<]*scores\.csv", report)
    assert f".snakemake/slurm_logs/rule_train/{_wildcards(CANCELLED)}/{job}.log" in report
    assert re.search(rf"slurmstepd-\S+: error: \*\*\* (JOB {job}|STEP {job}\.0) ON \S+ CANCELLED AT", report), (
        "the cancelled training job is listed with SLURM's line"
    )


def test_the_same_command_again_resumes_and_trains_nothing_that_finished(slurm_dag):
    code, out = slurm_dag["retry"]
    assert code == 0, out[-3000:]
    cancelled, epochs, resume_epoch = slurm_dag["cancelled"], slurm_dag["epochs"], slurm_dag["resume_epoch"]
    now = finished_runs(slurm_dag["workdir"])
    assert {p: now[p] for p in slurm_dag["kept"]} == slurm_dag["kept"]
    assert 1 <= resume_epoch < epochs
    train_log = cancelled.log("train").read_text()
    assert f"resume.pt: resuming after epoch {resume_epoch} of {epochs}" in train_log, train_log[-2000:]
    assert list(pd.read_csv(cancelled.loss)["epoch"]) == list(range(1, epochs + 1))
    assert cancelled.model in now and not cancelled.resume.exists()


def test_slurm_pins_each_gpu_job_and_the_suite_takes_no_lock(slurm_dag):
    """The retry's train and evaluate jobs ran with the GPU SLURM gave them; two at once used both fake GPUs."""
    logs = [
        slurm_dag["cancelled"].log("train"),
        slurm_dag["cancelled"].log("evaluate"),
        slurm_dag["failing"].log("evaluate"),
    ]
    pins = [PINNED.search(p.read_text()) for p in logs]
    assert all(pins), [p.read_text()[:300] for p in logs]
    given = [dict(item.split("=") for item in pin.group(1).split(", ")) for pin in pins]
    assert all(g["SLURM_STEP_GPUS"] == g["CUDA_VISIBLE_DEVICES"] for g in given), given
    assert {g["CUDA_VISIBLE_DEVICES"] for g in given} == {"0", "1"}, given
    assert not list((slurm_dag["workdir"] / "gpu_locks").glob("*.lock"))


def test_slurm_metrics_equal_the_local_runs(ci_dag, slurm_dag, tmp_path, capsys):
    """Every value and stage digest of the SLURM DAG equals the local DAG's on this machine (the local jobs
    ran under preload, the SLURM ones as plain processes)."""
    results = slurm_dag["workdir"] / ci_plan().config["results"]
    local = local_baseline(ci_dag.workdir / ci_plan().config["results"], tmp_path / "local.json")
    code = main(["drift", "--baseline", str(local), "--results", str(results)])
    out = capsys.readouterr().out
    assert code == 0, out
    n_values, n_runs = (len(json.loads(local.read_text())[k]) for k in ("values", "digests"))
    assert out.splitlines()[-1].endswith(f"; {n_values} bit-identical"), out
    assert f"  identical: {n_runs} runs" in out.splitlines(), out
    print(
        f"SLURM DAG: {slurm_dag['seconds'][0]:.0f} s with the cancel and the failure, "
        f"{slurm_dag['seconds'][1]:.0f} s to finish"
    )
