"""Truncated, empty or foreign model.pt, resume.pt and decoded-image cache entries: one line naming
the file and what to do; a bad resume or cache file is moved aside and the work starts over,
ending with exactly the numbers of a clean run."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from data_fixtures import DIGITS_RUN

from rd4ad.cli import main
from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.data import load_split
from rd4ad.files.io import load_checkpoint
from rd4ad.machine.device import set_deterministic
from rd4ad.training.loop import train_run

CPU = torch.device("cpu")
RUN = RunConfig(**DIGITS_RUN, epochs=2)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A clean 2-epoch run: its model.pt and the bytes of its resume.pt after epoch 1."""
    set_deterministic(True)
    folder = RunFolder(tmp_path_factory.mktemp("reference"), RUN.key)
    kept = {}
    model = train_run(
        RUN,
        folder,
        CPU,
        on_epoch_end=lambda e: kept.setdefault(e, folder.resume.read_bytes()) if e == 1 else None,
        checkpoint_minutes=0,
    )
    return model, kept[1]


def _same_weights(a, b) -> bool:
    wa, wb = load_checkpoint(a)["student"], load_checkpoint(b)["student"]
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def _misfit(resume: bytes, tmp_path) -> bytes:
    """A readable resume.pt of this run whose last student tensor has the wrong shape."""
    (tmp_path / "src.pt").write_bytes(resume)
    state = load_checkpoint(tmp_path / "src.pt")
    last = list(state["student"])[-1]
    state["student"][last] = torch.zeros(3)
    torch.save(state, tmp_path / "src.pt")
    return (tmp_path / "src.pt").read_bytes()


def _garbled_log(resume: bytes, tmp_path) -> bytes:
    """A readable resume.pt of this run whose loss log is a string, not one record per epoch."""
    (tmp_path / "src.pt").write_bytes(resume)
    state = load_checkpoint(tmp_path / "src.pt")
    state["losses"] = "garbage"
    torch.save(state, tmp_path / "src.pt")
    return (tmp_path / "src.pt").read_bytes()


@pytest.mark.parametrize("kind", ["truncated", "misfit", "garbled_log"])
def test_bad_resume_is_moved_aside_and_training_starts_over(reference, tmp_path, capsys, kind):
    model, resume = reference
    bad = {
        "truncated": lambda: resume[: len(resume) // 3],
        "misfit": lambda: _misfit(resume, tmp_path),
        "garbled_log": lambda: _garbled_log(resume, tmp_path),
    }[kind]()
    folder = RunFolder(tmp_path / "results", RUN.key)
    folder.path.mkdir(parents=True)
    folder.resume.write_bytes(bad)
    epochs = []
    set_deterministic(True)
    train_run(RUN, folder, CPU, on_epoch_end=epochs.append)
    assert epochs == [1, 2], "training must start over"
    assert _same_weights(folder.model, model), "a run that started over equals a clean run"
    assert (folder.path / "resume.pt.corrupt").read_bytes() == bad
    assert os.path.samefile(folder.resume, folder.model), "resume.pt is now the finished run's final state"
    reason = (
        "unreadable resume checkpoint (not a torch checkpoint"
        if kind == "truncated"
        else "resume checkpoint does not fit this run"
    )
    err = capsys.readouterr().err
    assert f"{folder.resume}: {reason}" in err
    assert "moved to resume.pt.corrupt, training starts again from epoch 1" in err
    if kind == "garbled_log":
        assert "its loss log is not one finite loss per epoch 1..1" in err
        assert (
            folder.loss.read_text().splitlines()[0] == "epoch,loss,seconds"
            and len(folder.loss.read_text().splitlines()) == 3
        )


def _foreign(path, obj):
    torch.save(obj, path)
    return path.read_bytes()


@pytest.mark.parametrize(
    "kind, reason",
    [
        ("empty", "unreadable (empty file)"),
        ("truncated", "unreadable (not a torch checkpoint"),
        ("text", "unreadable (not a torch checkpoint"),
        ("list", "not a model.pt written by `python -m rd4ad train`"),
        ("no run", "not a model.pt written by `python -m rd4ad train`"),
        ("wrong weights", "its run config or weights do not fit"),
    ],
)
def test_bad_model_pt_is_one_line_saying_retrain(reference, tmp_path, capsys, kind, reason):
    good = reference[0].read_bytes()
    content = {
        "empty": lambda: b"",
        "truncated": lambda: good[: len(good) // 2],
        "text": lambda: b"weights\n",
        "list": lambda: _foreign(tmp_path / "x.pt", [1, 2]),
        "no run": lambda: _foreign(tmp_path / "x.pt", {"student": {}}),
        "wrong weights": lambda: _foreign(tmp_path / "x.pt", {"run": RUN.to_dict(), "student": {"w": torch.ones(1)}}),
    }[kind]()
    folder = RunFolder(tmp_path, RUN.key)
    model = folder.model
    model.parent.mkdir(parents=True)
    model.write_bytes(content)
    assert main(["evaluate", "--run", str(RUN.key), "--results", str(tmp_path), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"rd4ad evaluate: error: {model}: {reason}") and err.count("\n") == 1
    assert err.rstrip().endswith("delete it and train the run again (python -m rd4ad train …, or rerun snakemake)")
    assert sorted(p.name for p in model.parent.iterdir()) == ["model.pt"]


@pytest.mark.parametrize("kind", ["truncated", "foreign"])
def test_bad_cache_entry_is_moved_aside_and_decoded_again(tmp_path, capsys, kind):
    cache = tmp_path / "cache"
    fresh = load_split("digits", "", "3", "train", 32, cache_dir=cache)
    (entry,) = cache.iterdir()
    if kind == "truncated":
        entry.write_bytes(entry.read_bytes()[:1000])
    else:
        torch.save({"images": [1, 2]}, entry)
    bad = entry.read_bytes()
    again = load_split("digits", "", "3", "train", 32, cache_dir=cache)
    assert torch.equal(again.images, fresh.images) and np.array_equal(again.labels, fresh.labels)
    assert (cache / f"{entry.name}.corrupt").read_bytes() == bad
    assert torch.equal(load_checkpoint(entry)["images"], fresh.images), "the entry is written again"
    err = capsys.readouterr().err
    assert f"{entry}: " in err and "moved to" in err and "decoding the images again" in err


def test_cache_folder_that_cannot_be_written_only_disables_caching(tmp_path, capsys):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder should be")
    arrays = load_split("digits", "", "3", "train", 32, cache_dir=blocked)
    assert len(arrays.labels) == 91 and arrays.images.shape == (91, 3, 32, 32)
    err = capsys.readouterr().err
    assert err.startswith("warning: decoded images not cached (cannot write ") and "continuing without" in err
    assert blocked.read_text() == "a file where the cache folder should be"


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_a_model_whose_weights_are_not_finite_is_named(tmp_path, capsys, reference, bad):
    folder = RunFolder(tmp_path, RUN.key)
    folder.path.mkdir(parents=True)
    ckpt = load_checkpoint(reference[0])
    key = sorted(ckpt["student"])[-1]
    ckpt["student"][key] = ckpt["student"][key].clone().fill_(bad)
    torch.save(ckpt, folder.model)
    assert main(["evaluate", "--run", str(RUN.key), "--results", str(tmp_path), "--device", "cpu"]) == 2
    assert capsys.readouterr().err == (
        f"rd4ad evaluate: error: {folder.model}: its weights are not finite (NaN or "
        f"inf in {key}); delete it and train the run again (python -m rd4ad train …, "
        f"or rerun snakemake)\n"
    )
    assert sorted(p.name for p in folder.path.iterdir()) == ["model.pt"], "nothing written beside it"


def test_a_model_copied_into_another_runs_folder_is_refused(tmp_path, capsys, reference):
    other = RunFolder(tmp_path, RunConfig(**{**RUN.to_dict(), "variant": "other"}).key)
    other.path.mkdir(parents=True)
    other.model.write_bytes(reference[0].read_bytes())
    assert main(["evaluate", "--run", str(other.key), "--results", str(tmp_path), "--device", "cpu"]) == 2
    assert capsys.readouterr().err == (
        f"rd4ad evaluate: error: {other.model}: holds the model of run {RUN.key}, not "
        f"of the run folder it lies in ({other.key}); put it back in its own folder, "
        f"or delete it and train the run again (python -m rd4ad train …, or rerun "
        f"snakemake)\n"
    )
    assert sorted(p.name for p in other.path.iterdir()) == ["model.pt"]
