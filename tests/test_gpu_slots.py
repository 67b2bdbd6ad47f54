"""GPU slot locking (rd4ad/machine/gpu_slots.py): N slots, N jobs at most, never two on one GPU."""

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rd4ad.files.errors import RD4ADError
from rd4ad.machine.device import STANDIN_ENV, resolve_device
from rd4ad.machine.gpu_slots import SCHEDULER_GPU_ENV, SLOT_ENV, acquire_gpu_slot, visible_gpus
from rd4ad.planning.planner import plan_config_file

HANG_SECONDS = 600  # only guards against a hang: the six jobs take a few seconds on any machine
RECORD = (
    "import os, sys, time; t0 = time.time(); time.sleep(0.4); "
    "open(sys.argv[1], 'w').write(f\"{os.environ['CUDA_VISIBLE_DEVICES']} {t0} {time.time()}\")"
)
REPO = Path(__file__).resolve().parents[1]


def test_concurrent_jobs_never_hold_the_same_gpu(tmp_path):
    """Six wrapped jobs race for two simulated GPUs: per GPU their run intervals never overlap."""
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rd4ad.machine.gpu_slots",
                "--lock-dir",
                str(tmp_path / "locks"),
                "--gpus",
                "0,1",
                "--",
                sys.executable,
                "-c",
                RECORD,
                str(tmp_path / f"job{i}"),
            ]
        )
        for i in range(6)
    ]
    assert [p.wait(timeout=HANG_SECONDS) for p in procs] == [0] * 6
    records = [(tmp_path / f"job{i}").read_text().split() for i in range(6)]
    by_gpu = {}
    for gpu, start, end in records:
        by_gpu.setdefault(gpu, []).append((float(start), float(end)))
    assert set(by_gpu) == {"0", "1"}
    for intervals in by_gpu.values():
        intervals.sort()
        assert all(prev_end <= start for (_, prev_end), (start, _) in zip(intervals, intervals[1:]))


def test_slots_are_distinct_and_exhaust(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,7")
    with acquire_gpu_slot(tmp_path, 2, ["4", "7"]) as first:
        assert (first, os.environ["CUDA_VISIBLE_DEVICES"]) == (0, "4")
        with acquire_gpu_slot(tmp_path, 2, ["4", "7"]) as second:
            assert (second, os.environ["CUDA_VISIBLE_DEVICES"]) == (1, "7")
            with pytest.raises(RD4ADError, match="stayed taken"):
                with acquire_gpu_slot(tmp_path, 2, ["4", "7"], poll_seconds=0.05, timeout_seconds=0.2):
                    pass
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "4,7"
    with acquire_gpu_slot(tmp_path, 2, ["4", "7"]) as again:
        assert again == 0


def test_a_killed_job_releases_its_slot(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rd4ad.machine.gpu_slots",
            "--lock-dir",
            str(tmp_path),
            "--gpus",
            "0",
            "--",
            "sleep",
            "60",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert "running on GPU 0" in holder.stderr.readline()
    with pytest.raises(RD4ADError):
        with acquire_gpu_slot(tmp_path, 1, timeout_seconds=0):
            pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with acquire_gpu_slot(tmp_path, 1, timeout_seconds=0) as slot:  # free at once: the OS released the lock
        assert slot == 0


def test_cpu_only_runs_without_a_slot(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert visible_gpus() == []
    with acquire_gpu_slot(tmp_path, 0) as slot:
        assert slot is None
        assert os.environ["CUDA_VISIBLE_DEVICES"] == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("listed, ids", [("2,3", ["2", "3"]), ("-1", []), ("0", ["0"])])
def test_visible_gpus_follow_cuda_visible_devices(monkeypatch, listed, ids):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", listed)
    assert visible_gpus() == ids


def test_wrapper_runs_the_command_unpinned_on_cpu(tmp_path):
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "rd4ad.machine.gpu_slots",
            "--lock-dir",
            str(tmp_path),
            "--",
            sys.executable,
            "-c",
            "import os; print(repr(os.environ['CUDA_VISIBLE_DEVICES']))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "''"


def test_a_job_pinned_by_slurm_keeps_its_gpu_and_takes_no_lock(tmp_path):
    """Under SLURM (SLURM_STEP_GPUS set) the scheduler's CUDA_VISIBLE_DEVICES stands and no lock file is made."""
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "1", "SLURM_STEP_GPUS": "1"}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "rd4ad.machine.gpu_slots",
            "--lock-dir",
            str(tmp_path / "locks"),
            "--",
            sys.executable,
            "-c",
            "import os; print(os.environ['CUDA_VISIBLE_DEVICES'])",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "1"
    assert "scheduler pinned this job (SLURM_STEP_GPUS=1, CUDA_VISIBLE_DEVICES=1)" in out.stderr
    assert not (tmp_path / "locks").exists()


def test_jobs_per_gpu_fills_every_gpu_before_sharing(tmp_path, monkeypatch):
    """Two GPUs × two shares: slots go 0, 1 (one job per GPU) then 2, 3 (the second shares); then full."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    held = []
    with contextlib.ExitStack() as stack:
        for _ in range(4):
            slot = stack.enter_context(acquire_gpu_slot(tmp_path, 2, ["0", "1"], jobs_per_gpu=2))
            held.append((slot, os.environ["CUDA_VISIBLE_DEVICES"]))
        with pytest.raises(RD4ADError, match="all 4 GPU lock files"):
            with acquire_gpu_slot(tmp_path, 2, ["0", "1"], jobs_per_gpu=2, timeout_seconds=0):
                pass
    assert held == [(0, "0"), (1, "1"), (2, "0"), (3, "1")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gpu0.1.lock", "gpu0.lock", "gpu1.1.lock", "gpu1.lock"]


def test_a_job_given_a_gpu_slot_without_cuda_fails_in_one_line_rather_than_training_on_the_cpu(tmp_path):
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}  # the slot's GPU is there, but CUDA cannot start
    run = next(p.run for p in plan_config_file(REPO / "config" / "ci.yaml").runs.values())
    job = [sys.executable, "-m", "rd4ad", "train", "--device", "auto", "--results", str(tmp_path / "results")]
    done = subprocess.run(
        [sys.executable, "-m", "rd4ad.machine.gpu_slots", "--lock-dir", str(tmp_path), "--gpus", "0", "--", *job]
        + ["--run-json", json.dumps(run.to_dict())],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    err = [line for line in done.stderr.splitlines() if not line.startswith("gpu_slots: running on GPU 0")]
    assert done.returncode != 0 and len(err) == 1, done.stderr
    assert "given a GPU (RD4AD_GPU_SLOT=0) but CUDA is not available" in err[0]


def test_auto_is_the_cpu_for_a_job_given_no_gpu(monkeypatch):
    for name in (SLOT_ENV, *SCHEDULER_GPU_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert resolve_device("auto").type == "cpu"
    monkeypatch.delenv(STANDIN_ENV, raising=False)
    monkeypatch.setenv(SLOT_ENV, "3")
    with pytest.raises(RD4ADError, match=r"given a GPU \(RD4AD_GPU_SLOT=3\) but CUDA is not available"):
        resolve_device("auto")
    monkeypatch.setenv(STANDIN_ENV, "1")  # a test cluster's stand-in GPUs (scripts/slurm_local.sh)
    assert resolve_device("auto").type == "cpu"
