"""Training loop: resume after a kill, determinism, NaN guard, frozen teacher."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from rd4ad.device import set_deterministic
from rd4ad.errors import RD4ADError
from rd4ad.evaluation.evaluate import evaluate_run
from rd4ad.io import load_checkpoint
from rd4ad.training import loop
from rd4ad.training.config import RunConfig
from rd4ad.training.loop import RESUME_NAME, train_run

CPU = torch.device("cpu")
RUN = dict(dataset="digits", category="3", backbone="resnet18", teacher_weights="random",
           image_size=32, lr=0.001, batch_size=16, score="sum", seed=7)


def _cli_args(run: RunConfig, out: Path) -> list[str]:
    return [sys.executable, "-m", "rd4ad", "train", "--dataset", run.dataset, "--category", run.category,
            "--backbone", run.backbone, "--teacher-weights", run.teacher_weights,
            "--image-size", str(run.image_size), "--epochs", str(run.epochs), "--lr", str(run.lr),
            "--batch-size", str(run.batch_size), "--score", run.score, "--seed", str(run.seed),
            "--device", "cpu", "--out", str(out)]


def _weights(path: Path) -> dict:
    return load_checkpoint(path)["student"]


def test_killed_run_resumes_to_identical_weights_and_metrics(tmp_path):
    set_deterministic(True)
    run = RunConfig(epochs=5, **RUN)
    reference = train_run(run, tmp_path / "ref" / "model.pt", CPU)

    out = tmp_path / "killed" / "model.pt"
    proc = subprocess.Popen(_cli_args(run, out), cwd=Path(__file__).parents[1],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    resume = out.parent / RESUME_NAME
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None and not resume.exists():
        time.sleep(0.05)
    assert proc.poll() is None, f"training ended before it could be killed: {proc.stderr.read().decode()}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = load_checkpoint(resume)["epoch"]
    assert 1 <= killed_at < run.epochs and not out.exists()

    seen = []
    train_run(run, out, CPU, on_epoch_end=seen.append)
    assert seen[0] == killed_at + 1, "the resumed run must continue after the last checkpoint"
    ref, resumed = _weights(reference), _weights(out)
    assert ref.keys() == resumed.keys()
    for key in ref:
        assert torch.equal(ref[key], resumed[key]), key
    assert not resume.exists(), "resume.pt is removed once model.pt is written"
    m_ref = evaluate_run(reference, reference.parent / "metrics.json", CPU)["levels"]
    m_res = evaluate_run(out, out.parent / "metrics.json", CPU)["levels"]
    assert m_ref == m_res
    assert (out.parent / "loss.csv").read_text() .count("\n") == run.epochs + 1


def test_same_seed_same_metrics_different_seed_differs(tmp_path):
    set_deterministic(True)
    run = RunConfig(epochs=2, **RUN)
    results = []
    for name in ("a", "b"):
        model = train_run(run, tmp_path / name / "model.pt", CPU)
        results.append(evaluate_run(model, model.parent / "metrics.json", CPU)["levels"])
    assert results[0] == results[1]
    other = train_run(RunConfig(epochs=2, **{**RUN, "seed": 8}), tmp_path / "c" / "model.pt", CPU)
    assert evaluate_run(other, other.parent / "metrics.json", CPU)["levels"] != results[0]
    assert 0.0 <= results[0]["M1+2+3"]["image_auroc"] <= 1.0


def test_nan_loss_stops_with_clear_error(tmp_path, monkeypatch):
    real, broken = loop.distillation_loss, set()
    monkeypatch.setattr(loop, "distillation_loss",
                        lambda fe, fd, kind: (fd[0] * float("nan")).mean() if broken else real(fe, fd, kind))
    broken.add(True)
    with pytest.raises(RD4ADError) as err:
        train_run(RunConfig(epochs=2, **RUN), tmp_path / "a" / "model.pt", CPU)
    assert str(err.value) == (f"training loss became nan in epoch 1 of {tmp_path / 'a'}; lower the learning rate "
                              "(variant 'default', lr=0.001); no checkpoint was written yet")
    assert not (tmp_path / "a").exists(), "nothing written"
    broken.clear()
    with pytest.raises(RD4ADError) as err:
        train_run(RunConfig(epochs=3, **RUN), tmp_path / "b" / "model.pt", CPU,
                  on_epoch_end=lambda epoch: broken.add(True))
    resume = tmp_path / "b" / RESUME_NAME
    assert str(err.value).endswith(f"in epoch 2 of {tmp_path / 'b'}; lower the learning rate (variant 'default', "
                                   f"lr=0.001); the last finite state (epoch 1) is in {resume}")
    assert load_checkpoint(resume)["epoch"] == 1 and not (tmp_path / "b" / "model.pt").exists()


def test_teacher_stays_frozen_and_student_moves(tmp_path, monkeypatch):
    built = {}
    real_build = RunConfig.build_model

    def spy(run):
        built["model"] = real_build(run)
        built["teacher"] = {k: v.clone() for k, v in built["model"].encoder.state_dict().items()}
        built["student"] = {k: v.clone() for k, v in built["model"].student_state_dict().items()}
        return built["model"]

    monkeypatch.setattr(RunConfig, "build_model", spy)
    train_run(RunConfig(epochs=1, **RUN), tmp_path / "model.pt", CPU)
    model = built["model"]
    for key, value in model.encoder.state_dict().items():
        assert torch.equal(value, built["teacher"][key]), f"teacher tensor {key} changed"
    moved = [k for k, v in model.student_state_dict().items()
             if v.is_floating_point() and not torch.equal(v, built["student"][k])]
    assert moved, "no student parameter was updated"


def test_resume_file_of_another_config_is_ignored(tmp_path, capsys):
    out = tmp_path / "model.pt"
    first = RunConfig(epochs=2, **RUN)
    with pytest.raises(KeyboardInterrupt):
        train_run(first, out, CPU, on_epoch_end=_interrupt_after(1))
    assert (tmp_path / RESUME_NAME).exists()
    changed = RunConfig(epochs=2, **{**RUN, "lr": 0.002})
    epochs = []
    train_run(changed, out, CPU, on_epoch_end=epochs.append)
    assert epochs == [1, 2]
    assert "different run config" in capsys.readouterr().err


def _interrupt_after(epoch: int):
    def hook(e: int) -> None:
        if e == epoch:
            raise KeyboardInterrupt
    return hook
