"""Digests of a run's inputs: equal for the same content however it was re-made, recorded with the
model and the metrics, and enforced where mixing inputs would be silent garbage."""

from __future__ import annotations

import os

import pytest
import torch
from data_fixtures import DIGITS_RUN

from rd4ad.builders.model import build_model as run_model
from rd4ad.builders.split import load_split as run_split
from rd4ad.contract.fingerprints import split_digest, teacher_digest
from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.data import load_split
from rd4ad.data.synth import SynthConfig, generate
from rd4ad.files.errors import RD4ADError
from rd4ad.files.io import load_checkpoint
from rd4ad.implementations.evaluate import evaluate_run
from rd4ad.models import build_model
from rd4ad.training.loop import train_run

CPU = torch.device("cpu")
RUN = DIGITS_RUN
SMALL = SynthConfig(image_size=48, n_train=3, n_test_good=2, n_test_defect=2, categories=("nut",))


def test_a_resynthesised_set_has_the_digests_of_the_first(tmp_path):
    first, again = generate(tmp_path / "first", SMALL), generate(tmp_path / "again", SMALL)
    os.utime(next((again / "nut" / "train" / "good").iterdir()), (1, 1))  # other files, other times
    for split in ("train", "test"):
        a = load_split("mvtec", str(first), "nut", split, 32, cache_dir=None)
        b = load_split("mvtec", str(again), "nut", split, 32, cache_dir=None)
        assert split_digest(a) == split_digest(b)
    train, test = (load_split("mvtec", str(first), "nut", s, 32, cache_dir=None) for s in ("train", "test"))
    assert split_digest(train) != split_digest(test)
    bigger = load_split("mvtec", str(first), "nut", "train", 48, cache_dir=None)
    assert split_digest(bigger) != split_digest(train), "the image size the model sees is part of the data"


def test_teacher_digest_covers_the_frozen_tensors_only():
    torch.manual_seed(0)
    a = build_model("resnet18", "random", "pre+oce+mff", "code", "code")
    torch.manual_seed(1)
    b = build_model("resnet18", "random", "pre+oce+mff", "code", "code")
    assert teacher_digest(a) == teacher_digest(b), "the student's random start is not the teacher"
    with torch.no_grad():
        b.decoder.parameters().__next__().add_(1.0)
        assert teacher_digest(a) == teacher_digest(b)
        next(b.encoder.parameters()).add_(1e-6)
    assert teacher_digest(a) != teacher_digest(b)
    pre = build_model("resnet18", "random", "pre", "code", "code")
    assert any(key.startswith("bottleneck.") for key in pre.frozen_state_dict()), "a frozen bottleneck is teacher"


def test_model_and_metrics_record_their_inputs(tmp_path):
    run = RunConfig(epochs=1, **RUN)
    folder = RunFolder(tmp_path, run.key)
    train_run(run, folder, CPU)
    inputs = load_checkpoint(folder.model)["inputs"]
    assert inputs["train_data"] == split_digest(run_split(run, "train"))
    assert inputs["teacher"] == teacher_digest(run_model(run))
    metrics = evaluate_run(folder, CPU)
    assert metrics["inputs"] == {**inputs, "test_data": split_digest(run_split(run, "test"))}


def test_evaluation_refuses_a_student_of_another_teacher(tmp_path):
    run = RunConfig(epochs=1, **RUN)
    folder = RunFolder(tmp_path, run.key)
    train_run(run, folder, CPU)
    state = load_checkpoint(folder.model)
    state["inputs"]["teacher"] = "0" * 64
    folder.resume.unlink()
    torch.save(state, folder.model)
    with pytest.raises(RD4ADError, match=r"model\.pt: trained against another teacher than the 'random' resnet18"):
        evaluate_run(folder, CPU)
    assert not folder.metrics.exists()


def test_an_epoch_state_of_other_training_data_is_not_resumed(tmp_path, capsys):
    run = RunConfig(epochs=2, **RUN)
    folder = RunFolder(tmp_path, run.key)
    with pytest.raises(KeyboardInterrupt):
        train_run(run, folder, CPU, on_epoch_end=_interrupt_after_first, checkpoint_minutes=0)
    state = load_checkpoint(folder.resume)
    state["inputs"]["train_data"] = "0" * 64
    torch.save(state, folder.resume)
    epochs = []
    train_run(run, folder, CPU, on_epoch_end=epochs.append)
    assert epochs == [1, 2]
    assert "written from other inputs (train_data digest differs)" in capsys.readouterr().err


def _interrupt_after_first(epoch: int) -> None:
    if epoch == 1:
        raise KeyboardInterrupt
