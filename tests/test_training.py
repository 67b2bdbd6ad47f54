"""Training loop: resume after a kill, checkpoints by wall time, the final state that survives a
workflow crash, determinism, NaN guard, frozen teacher."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from data_fixtures import DIGITS_RUN

from rd4ad.builders.model import build_model
from rd4ad.cli import main
from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.files.errors import RD4ADError
from rd4ad.files.io import load_checkpoint
from rd4ad.implementations.evaluate import evaluate_run
from rd4ad.machine.device import set_deterministic
from rd4ad.training import checkpoints, loop
from rd4ad.training.hold import HELD, held_epoch
from rd4ad.training.hold import VARIABLE as HOLD_VARIABLE
from rd4ad.training.loop import _optimizer, train_run

CPU = torch.device("cpu")
RUN = DIGITS_RUN


def _cli_args(run: RunConfig, results: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "rd4ad",
        "train",
        "--run-json",
        json.dumps(run.to_dict()),
        "--results",
        str(results),
        "--device",
        "cpu",
        "--checkpoint-minutes",
        "0",
    ]


def _weights(path: Path) -> dict:
    return load_checkpoint(path)["student"]


def test_killed_run_resumes_to_identical_weights_and_metrics(tmp_path):
    set_deterministic(True)
    run = RunConfig(epochs=5, **RUN)
    reference = RunFolder(tmp_path / "ref", run.key)
    train_run(run, reference, CPU)

    killed = RunFolder(tmp_path / "killed", run.key)
    out, resume = killed.model, killed.resume
    held_at = 2  # the run holds after epoch 2 until killed (rd4ad/training/hold.py): the same moment on any CPU
    proc = subprocess.Popen(
        _cli_args(run, killed.results),
        cwd=Path(__file__).parents[1],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, HOLD_VARIABLE: f"{run.key}@{held_at}"},
    )
    lines = []
    for line in proc.stderr:  # ends when the process does
        lines.append(line)
        if line.startswith(HELD):
            break
    assert lines and lines[-1] == f"{HELD} {held_at}; waiting to be killed\n", "".join(lines)[-2000:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = load_checkpoint(resume)["epoch"]
    assert killed_at == held_at and not out.exists()

    seen = []
    train_run(run, killed, CPU, on_epoch_end=seen.append)
    assert seen[0] == killed_at + 1, "the resumed run must continue after the last checkpoint"
    ref, resumed = _weights(reference.model), _weights(out)
    assert ref.keys() == resumed.keys()
    for key in ref:
        assert torch.equal(ref[key], resumed[key]), key
    assert os.path.samefile(resume, out), "resume.pt is model.pt's final state until the run is evaluated"
    assert evaluate_run(reference, CPU)["levels"] == evaluate_run(killed, CPU)["levels"]
    assert killed.loss.read_text().count("\n") == run.epochs + 1


def test_the_test_hold_names_one_run_and_an_epoch_with_a_checkpoint(tmp_path, monkeypatch, capsys):
    assert held_epoch("mnist/3/novelty/seed7", {}) is None
    assert held_epoch("mnist/3/novelty/seed7", {HOLD_VARIABLE: "mnist/3/novelty/seed7@3"}) == 3
    assert held_epoch("mnist/3/novelty/seed8", {HOLD_VARIABLE: "mnist/3/novelty/seed7@3"}) is None
    with pytest.raises(RD4ADError, match="expected '<run key>@<epoch>'"):
        held_epoch("mnist/3/novelty/seed7", {HOLD_VARIABLE: "mnist/3/novelty/seed7@0"})
    run = RunConfig(epochs=2, **RUN)
    monkeypatch.setenv(HOLD_VARIABLE, f"{run.key}@2")  # the last epoch writes no resume checkpoint
    assert main(_cli_args(run, tmp_path)[3:]) == 2
    assert f"run {run.key} has 2 epochs; hold it after an earlier one" in capsys.readouterr().err
    assert not any(tmp_path.iterdir()), "refused before anything was written"


def test_same_seed_same_metrics_different_seed_differs(tmp_path):
    set_deterministic(True)
    run = RunConfig(epochs=2, **RUN)
    results = []
    for name in ("a", "b"):
        folder = RunFolder(tmp_path / name, run.key)
        train_run(run, folder, CPU)
        result = evaluate_run(folder, CPU)
        results.append({"levels": result["levels"], "intervals": result["intervals"]})
    assert results[0] == results[1], "metrics and their test-set intervals repeat bit for bit"
    cpu = {"type": "cpu", "gpu": None, "determinism": "none (CPU)"}  # a GPU names its driver, CUDA, cuDNN
    assert result["hardware"] == {"train": cpu, "evaluate": cpu}
    other = RunConfig(epochs=2, **{**RUN, "seed": 8})
    train_run(other, RunFolder(tmp_path, other.key), CPU)
    assert evaluate_run(RunFolder(tmp_path, other.key), CPU)["levels"] != results[0]["levels"]
    assert 0.0 <= results[0]["levels"]["M1+2+3"]["image_auroc"] <= 1.0
    intervals = results[0]["intervals"]
    assert (intervals["level"], intervals["n_resamples"], sorted(intervals)) == (
        "M1+2+3",
        1000,
        ["bins", "confidence", "image_auroc", "level", "method", "n_resamples", "seed"],
    )
    low, high = intervals["image_auroc"]
    assert 0.0 <= low <= high <= 1.0 and high - low > 0.01, "a finite test set leaves some spread"


def test_nan_loss_stops_with_clear_error(tmp_path, monkeypatch):
    real, broken = loop.distillation_loss, set()
    monkeypatch.setattr(
        loop, "distillation_loss", lambda fe, fd, kind: (fd[0] * float("nan")).mean() if broken else real(fe, fd, kind)
    )
    broken.add(True)
    run = RunConfig(epochs=2, **RUN)
    first = RunFolder(tmp_path / "a", run.key)
    with pytest.raises(RD4ADError) as err:
        train_run(run, first, CPU)
    assert str(err.value) == (
        f"training loss became nan in epoch 1 of {first.path}; lower the learning rate "
        f"(variant '{run.variant}', lr=0.001); no checkpoint was written yet"
    )
    assert not (tmp_path / "a").exists(), "nothing written"
    broken.clear()
    run = RunConfig(epochs=3, **RUN)
    second = RunFolder(tmp_path / "b", run.key)
    with pytest.raises(RD4ADError) as err:
        train_run(run, second, CPU, on_epoch_end=lambda epoch: broken.add(True), checkpoint_minutes=0)
    assert str(err.value).endswith(
        f"in epoch 2 of {second.path}; lower the learning rate (variant "
        f"'{run.variant}', lr=0.001); the last finite state (epoch 1) is in {second.resume}"
    )
    assert load_checkpoint(second.resume)["epoch"] == 1 and not second.model.exists()


@pytest.mark.parametrize("teacher", ["random", "random_calibrated"])
def test_teacher_stays_frozen_and_student_moves(tmp_path, monkeypatch, teacher):
    built = {}

    def spy(run, *args, **kwargs):
        built["model"] = build_model(run, *args, **kwargs)
        built["teacher"] = {k: v.clone() for k, v in built["model"].encoder.state_dict().items()}
        built["student"] = {k: v.clone() for k, v in built["model"].student_state_dict().items()}
        return built["model"]

    monkeypatch.setattr(loop, "build_model", spy)
    run = RunConfig(epochs=1, **{**RUN, "teacher_weights": teacher})
    train_run(run, RunFolder(tmp_path, run.key), CPU)
    model = built["model"]
    for key, value in model.encoder.state_dict().items():
        assert torch.equal(value, built["teacher"][key]), f"teacher tensor {key} changed"
    moved = [
        k
        for k, v in model.student_state_dict().items()
        if v.is_floating_point() and not torch.equal(v, built["student"][k])
    ]
    assert moved, "no student parameter was updated"


def test_resume_file_of_another_config_is_ignored(tmp_path, capsys):
    first = RunConfig(epochs=2, **RUN)
    folder = RunFolder(tmp_path, first.key)
    with pytest.raises(KeyboardInterrupt):
        train_run(first, folder, CPU, on_epoch_end=_interrupt_after(1), checkpoint_minutes=0)
    assert folder.resume.exists()
    changed = RunConfig(epochs=2, **{**RUN, "lr": 0.002})
    epochs = []
    train_run(changed, folder, CPU, on_epoch_end=epochs.append)
    assert epochs == [1, 2]
    assert "different run config" in capsys.readouterr().err


def _interrupt_after(epoch: int):
    def hook(e: int) -> None:
        if e == epoch:
            raise KeyboardInterrupt

    return hook


class _FakeClock:
    """Wall time that advances ``minutes_per_epoch`` each time an epoch ends."""

    def __init__(self, minutes_per_epoch: float):
        self.now, self.step = 0.0, 60.0 * minutes_per_epoch

    def __call__(self) -> float:
        return self.now

    def tick(self, epoch: int) -> None:
        self.now += self.step


def test_checkpoints_follow_wall_time_and_a_kill_resumes_to_identical_weights(tmp_path, monkeypatch):
    """A clock that reads 6 minutes more after each epoch, a checkpoint every 10 minutes: states after
    epochs 3 (12 min) and 5 (24 min) only, not every epoch; killed after epoch 4, the run resumes
    from epoch 3's state and ends with the weights of an uninterrupted run."""
    set_deterministic(True)
    run = RunConfig(epochs=6, **RUN)
    reference = RunFolder(tmp_path / "ref", run.key)
    train_run(run, reference, CPU, checkpoint_minutes=0)

    clock = _FakeClock(6)
    monkeypatch.setattr(loop, "CheckpointClock", lambda minutes: checkpoints.CheckpointClock(minutes, clock=clock))
    folder = RunFolder(tmp_path / "timed", run.key)
    written = []

    def after_epoch(epoch: int) -> None:
        clock.tick(epoch)
        if folder.resume.exists():
            written.append(load_checkpoint(folder.resume)["epoch"])
        if epoch == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_run(run, folder, CPU, on_epoch_end=after_epoch, checkpoint_minutes=10)
    assert written == [3, 3]
    seen = []
    train_run(run, folder, CPU, on_epoch_end=lambda e: (seen.append(e), clock.tick(e)), checkpoint_minutes=10)
    assert seen == [4, 5, 6]
    ref, resumed = _weights(reference.model), _weights(folder.model)
    assert all(torch.equal(ref[k], resumed[k]) for k in ref)


def test_a_finished_run_whose_model_was_deleted_is_restored_without_training(tmp_path):
    """What --rerun-incomplete does after a workflow was killed before it recorded the train job:
    model.pt is deleted and the job runs again. It gets model.pt back from the final state."""
    run = RunConfig(epochs=2, **RUN)
    folder = RunFolder(tmp_path, run.key)
    train_run(run, folder, CPU)
    weights, loss_mtime = _weights(folder.model), folder.loss.stat().st_mtime_ns
    folder.model.unlink()
    epochs = []
    train_run(run, folder, CPU, on_epoch_end=epochs.append)
    assert epochs == [] and folder.loss.stat().st_mtime_ns == loss_mtime
    assert all(torch.equal(weights[k], v) for k, v in _weights(folder.model).items())
    checkpoints.release_final_state(folder)
    assert folder.model.is_file() and not folder.resume.exists()
    checkpoints.release_final_state(folder)  # nothing to release: no error


def test_an_epoch_state_is_not_released(tmp_path):
    """Only the final state (a second name of model.pt) is removed by the evaluation."""
    run = RunConfig(epochs=3, **RUN)
    folder = RunFolder(tmp_path, run.key)
    with pytest.raises(KeyboardInterrupt):
        train_run(run, folder, CPU, on_epoch_end=_interrupt_after(1), checkpoint_minutes=0)
    folder.model.write_bytes(b"an older model")
    checkpoints.release_final_state(folder)
    assert load_checkpoint(folder.resume)["epoch"] == 1


@pytest.mark.parametrize("beta2", [0.999, 0.99])
def test_adam_beta2_is_the_run_s(beta2):
    """The public code's Adam is (0.5, 0.999); anomalib's ReverseDistillation uses (0.5, 0.99)."""
    run = RunConfig(**RUN, epochs=1, adam_beta2=beta2)
    (group,) = _optimizer(build_model(run), run, fast=False, numerics="native").param_groups
    assert group["betas"] == (0.5, beta2) and group["lr"] == run.lr


def test_pinned_numerics_train_with_the_same_adam_on_its_fused_kernel():
    """Pinned: the run's Adam (same groups, lr, betas, eps) on ATen's fused kernel; one step moves the
    weights as torch's default Adam does, to float rounding."""
    run = RunConfig(**RUN, epochs=1)
    models = [build_model(run) for _ in range(2)]
    models[1].load_state_dict(models[0].state_dict())
    native, pinned = (_optimizer(m, run, fast=False, numerics=n) for m, n in zip(models, ("native", "pinned")))
    assert pinned.defaults["fused"] is True and not native.defaults["fused"]
    keep = ("lr", "betas", "eps", "weight_decay", "amsgrad")
    assert [{k: g[k] for k in keep} for g in pinned.param_groups] == [
        {k: g[k] for k in keep} for g in native.param_groups
    ]
    for model, optimizer in zip(models, (native, pinned)):
        for p in model.trainable_parameters():
            p.grad = torch.full_like(p, 0.01)
        optimizer.step()
    for a, b in zip(models[0].trainable_parameters(), models[1].trainable_parameters()):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
