"""Resume checkpoints of a training run: written by wall time, kept until the run is recorded complete.

``resume.pt`` (not a declared output: Snakemake never deletes it) holds either

- an epoch state — student weights, optimizer, loss and audit logs — written when
  ``checkpoint_minutes`` of wall time have passed since the last one (never every epoch by
  default: a Wide-ResNet50 state is about 1 GB, and a GPU epoch takes seconds), or
- the final state, written before ``model.pt`` appears as its second name (a hard link: no
  bytes copied), so at no moment is there a ``model.pt`` without it.

The final state stays until the evaluation of the run starts, i.e. until Snakemake has
recorded the training job complete. If Snakemake is killed after ``model.pt`` appeared but
before it recorded the job, the re-run (``--rerun-incomplete``) deletes ``model.pt``; the
train job then restores it from the final state instead of training again.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import torch

from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.files.errors import UnreadableFileError
from rd4ad.files.io import atomic_link, atomic_torch_save, load_checkpoint, move_aside

RESUME_KEYS = ("run", "epoch", "student", "optimizer", "losses", "audits")
FINAL_KEYS = ("run", "epochs", "student")
START_OVER = "training starts again from epoch 1"


class CheckpointClock:
    """Says when a resume checkpoint is due: ``minutes`` of wall time after the last one (0: every epoch)."""

    def __init__(self, minutes: float, clock=time.monotonic):
        self.seconds, self.clock = 60.0 * minutes, clock
        self.last = clock()

    def due(self) -> bool:
        return self.clock() - self.last >= self.seconds

    def saved(self) -> None:
        self.last = self.clock()


def model_state(run: RunConfig, record: dict, inputs: dict, student: dict) -> dict:
    """What ``model.pt`` holds: the run, its numerics record, the digests of its inputs
    (``rd4ad.contract.fingerprints``: training split and teacher) and the final student weights."""
    return {"run": run.to_dict(), "numerics": record, "inputs": inputs, "epochs": run.epochs, "student": student}


def save_epoch_state(
    path: Path, run: RunConfig, record: dict, inputs: dict, epoch: int, model, optimizer, losses: list, audits: list
) -> int:
    """Write the resumable state after ``epoch`` to ``path`` atomically; its size in bytes."""
    atomic_torch_save(
        {
            "run": run.to_dict(),
            "numerics": record,
            "inputs": inputs,
            "epoch": epoch,
            "student": model.student_state_dict(),
            "optimizer": optimizer.state_dict(),
            "losses": losses,
            "audits": audits,
        },
        path,
    )
    return path.stat().st_size


def write_model(folder: RunFolder, state: dict) -> Path:
    """Write the final ``state`` (:func:`model_state`) to ``resume.pt``, then give it the name
    ``model.pt`` too (each step atomic); the model path."""
    atomic_torch_save(state, folder.resume)
    return atomic_link(folder.resume, folder.model)


def release_final_state(folder: RunFolder) -> None:
    """Remove ``resume.pt`` if it is the final state of ``model.pt`` (the run is recorded complete)."""
    try:
        if os.path.samefile(folder.resume, folder.model):
            folder.resume.unlink()
    except FileNotFoundError:
        pass


def _fits(state: dict, run: RunConfig, numerics: str, path: Path) -> bool:
    if state.get("run") != run.to_dict():
        print(f"{path}: written by a different run config; starting from epoch 0", file=sys.stderr)
        return False
    if state.get("numerics", {}).get("cpu_numerics") != numerics:
        print(
            f"{path}: written with other CPU numerics; starting from epoch 0 so that one setting "
            "produces the whole run",
            file=sys.stderr,
        )
        return False
    return True


def load_resume(path: Path, run: RunConfig, device: torch.device, numerics: str) -> dict | None:
    """The state in ``path`` if it belongs to ``run`` under ``numerics``: an epoch state (``epoch``)
    or the final state (``epochs``); None otherwise. An unreadable file is moved aside."""
    if not path.is_file():
        return None
    try:
        state = load_checkpoint(path, map_location=device)
    except UnreadableFileError as err:
        move_aside(path, f"unreadable resume checkpoint ({err.detail})", START_OVER)
        return None
    if not isinstance(state, dict) or not (set(RESUME_KEYS) <= set(state) or set(FINAL_KEYS) <= set(state)):
        move_aside(
            path, f"not a resume checkpoint of `python -m rd4ad train` (it lacks {', '.join(RESUME_KEYS)})", START_OVER
        )
        return None
    return state if _fits(state, run, numerics, path) else None


def is_final(state: dict, run: RunConfig) -> bool:
    """Whether ``state`` is the finished run (all epochs trained)."""
    return "epoch" not in state and state.get("epochs") == run.epochs


def restore_model(folder: RunFolder) -> Path:
    """Give the final state back its name ``model.pt`` (no training); the model path."""
    print(f"{folder.resume}: the run had finished; restoring {folder.model.name} without training", file=sys.stderr)
    atomic_link(folder.resume, folder.model)
    return folder.model
