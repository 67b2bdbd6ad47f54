"""The training loop: Adam(lr, betas=(0.5, 0.999)) on bottleneck + decoder, as the public code.

Resumable (rd4ad/training/checkpoints.py): the full state goes to the run folder's
``resume.pt`` every ``checkpoint_minutes`` of wall time, and the finished model stays
resumable until its evaluation starts. Shuffling draws from a generator seeded by (seed,
epoch), so a run killed and resumed ends with exactly the weights of an uninterrupted run. A
``resume.pt`` that cannot be read or does not fit the run is moved aside
(``resume.pt.corrupt``) and training starts over: nothing it held can be trusted, and
nothing else is lost; so is an epoch state written from other training data or another teacher
(their digests, ``rd4ad/contract/fingerprints.py``, are recorded with every state and with the model).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from rd4ad.builders.model import build_model
from rd4ad.builders.split import load_split
from rd4ad.contract.fingerprints import split_digest, teacher_digest
from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.data import SplitArrays
from rd4ad.evaluation.inference import infer_level_maps
from rd4ad.files.errors import RD4ADError
from rd4ad.files.io import atomic_write_text, move_aside
from rd4ad.files.paths import writable_file
from rd4ad.files.temporaries import clean_stale
from rd4ad.machine.device_record import device_record
from rd4ad.machine.fast_path import fast_path
from rd4ad.machine.numerics import exact_optimizer, numerics_record
from rd4ad.machine.precision import apply_precision, autocast
from rd4ad.models import distillation_loss
from rd4ad.models.inputs import to_model_input
from rd4ad.scoring import HEADLINE, LEVEL_SUBSETS
from rd4ad.training.checkpoints import (
    START_OVER,
    CheckpointClock,
    is_final,
    load_resume,
    model_state,
    restore_model,
    save_epoch_state,
    write_model,
)
from rd4ad.training.defaults import CHECKPOINT_MINUTES


def epoch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The shuffled sample order of one epoch; depends only on (seed, epoch)."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))


def _optimizer(model: torch.nn.Module, run: RunConfig, fast: bool, numerics: str) -> torch.optim.Optimizer:
    adam = torch.optim.Adam(model.trainable_parameters(), lr=run.lr, betas=(0.5, run.adam_beta2), fused=fast or None)
    return exact_optimizer(adam, numerics)


def _fresh(
    run: RunConfig, device: torch.device, compile: bool, fast: bool, numerics: str, train: SplitArrays | None = None
):
    """The seeded model, its optimizer and the forward to train (``torch.compile`` of the model or itself);
    ``fast``: channels_last and fused Adam (rd4ad/machine/fast_path.py); ``numerics``: the CPU numerics (pinned:
    fused Adam too); ``train``: the training split, which a ``random_calibrated`` teacher is calibrated on."""
    torch.manual_seed(run.seed)
    np.random.seed(run.seed % 2**32)
    model = build_model(run, train=train).to(device)
    if fast:
        model = model.to(memory_format=torch.channels_last)
    optimizer = _optimizer(model, run, fast, numerics)
    return model, optimizer, torch.compile(model) if compile else model


def _resume(state: dict, model, optimizer, run: RunConfig, inputs: dict) -> tuple[list, list, int]:
    """Load ``state`` into the model and optimizer; (losses, audits, first epoch). Raises on a mismatch,
    an epoch state written from other training data or another teacher (``inputs``) included."""
    epoch = state["epoch"]
    if not (isinstance(epoch, int) and 1 <= epoch < run.epochs):
        raise ValueError(f"epoch {epoch!r} outside 1..{run.epochs - 1}")
    changed = sorted(key for key in inputs if state.get("inputs", {}).get(key) != inputs[key])
    if changed:
        raise ValueError(f"written from other inputs ({', '.join(changed)} digest differs)")
    losses, audits = state["losses"], state["audits"]
    if not _one_finite_loss_per_epoch(losses, epoch):
        raise ValueError(f"its loss log is not one finite loss per epoch 1..{epoch}")
    if not (isinstance(audits, list) and all(isinstance(row, dict) for row in audits)):
        raise ValueError("its audit log is not a list of epoch records")
    model.load_student_state_dict(state["student"])
    optimizer.load_state_dict(state["optimizer"])
    return list(losses), list(audits), epoch + 1


def _one_finite_loss_per_epoch(losses, epochs: int) -> bool:
    """Whether ``losses`` is the loss log of epochs 1..``epochs``: one record each, its loss a finite float."""
    return (
        isinstance(losses, list)
        and len(losses) == epochs
        and all(
            isinstance(row, dict)
            and row.get("epoch") == epoch
            and isinstance(row.get("loss"), float)
            and math.isfinite(row["loss"])
            for epoch, row in enumerate(losses, start=1)
        )
    )


def _audit(model, test: SplitArrays, run: RunConfig, device, epoch: int, fast: bool) -> dict:
    # the metrics (and scikit-learn, ~1.3 s to import) load only in a run that audits
    from rd4ad.evaluation.levels import evaluate_maps

    maps = infer_level_maps(model, test, device, precision=run.precision, channels_last=fast)
    metrics, _, _ = evaluate_maps(
        maps, test, run.score, device, {HEADLINE: LEVEL_SUBSETS[HEADLINE]}, border=run.map_border, audit=False
    )
    return {"epoch": epoch, **metrics[HEADLINE]}


def train_run(
    run: RunConfig,
    folder: RunFolder,
    device: torch.device,
    cache_dir: str | None = None,
    on_epoch_end: Callable[[int], None] | None = None,
    compile: bool = False,
    numerics: str = "native",
    checkpoint_minutes: float = CHECKPOINT_MINUTES,
    fast_on_cpu: bool = False,
) -> Path:
    """Train ``run`` and write its ``folder.model`` atomically; resume from ``folder.resume`` if present.

    ``compile`` runs the training forward through ``torch.compile`` (same parameters; an
    execution choice, not part of the run). ``numerics`` names the CPU numerics the process
    runs under (``rd4ad.machine.numerics``; applied by the caller) and is recorded with the weights.
    A resume checkpoint is written when ``checkpoint_minutes`` of wall time have passed since
    the last one (0: after every epoch). ``fast_on_cpu`` runs the fast path (``run.fast``) on CPU
    too (rd4ad/machine/fast_path.py). bf16 where it is emulated is said in one line on stderr. Returns
    the model path.
    """
    writable_file(folder.model)
    clean_stale(folder.path)
    resume_path = folder.resume
    record = {**numerics_record(numerics), **apply_precision(f"train {run.key}", run.precision, device)}
    state = load_resume(resume_path, run, device, numerics)
    if state is not None and is_final(state, run):
        return restore_model(folder)

    train = load_split(run, "train", cache_dir)
    test = load_split(run, "test", cache_dir) if run.eval_every else None
    images = train.images.to(device).contiguous()

    fast = fast_path(run.fast, device, on_cpu=fast_on_cpu)
    model, optimizer, forward = _fresh(run, device, compile, fast, numerics, train)
    inputs = {"train_data": split_digest(train), "teacher": teacher_digest(model)}
    losses: list[dict] = []
    audits: list[dict] = []
    first_epoch = 1
    if state is not None:
        try:
            losses, audits, first_epoch = _resume(state, model, optimizer, run, inputs)
        except (RD4ADError, KeyError, ValueError, TypeError, RuntimeError) as err:
            move_aside(
                resume_path, f"resume checkpoint does not fit this run ({str(err).splitlines()[0][:160]})", START_OVER
            )
            model, optimizer, forward = _fresh(
                run, device, compile, fast, numerics, train
            )  # the failed load left it half-written
    checkpointed = first_epoch - 1 if first_epoch > 1 else None
    if checkpointed:
        print(f"{resume_path}: resuming after epoch {checkpointed} of {run.epochs}", file=sys.stderr)
    clock = CheckpointClock(checkpoint_minutes)

    progress = tqdm(
        range(first_epoch, run.epochs + 1),
        initial=first_epoch - 1,
        total=run.epochs,
        desc=f"train {run.dataset}/{run.category}/{run.variant}/seed{run.seed}",
        disable=not sys.stderr.isatty(),
        unit="epoch",
    )
    for epoch in progress:
        tic = time.perf_counter()
        model.train()
        order = epoch_order(len(images), run.seed, epoch).to(device)
        total = torch.zeros((), device=device)
        batches = 0
        for start in range(0, len(order), run.batch_size):
            x = to_model_input(images[order[start : start + run.batch_size]], train.normalize, fast)
            with autocast(run.precision, device):
                feats_e, feats_d = forward(x)
                loss = distillation_loss([f.float() for f in feats_e], [f.float() for f in feats_d], run.loss)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach()
            batches += 1
        mean_loss = (total / batches).item()
        if not math.isfinite(mean_loss):
            kept = (
                f"the last finite state (epoch {checkpointed}) is in {resume_path}"
                if checkpointed
                else "no checkpoint was written yet"
            )
            raise RD4ADError(
                f"training loss became {mean_loss} in epoch {epoch} of {folder.path}; lower the "
                f"learning rate (variant '{run.variant}', lr={run.lr}); {kept}"
            )
        losses.append({"epoch": epoch, "loss": mean_loss, "seconds": round(time.perf_counter() - tic, 4)})
        progress.set_postfix(loss=f"{mean_loss:.4f}")
        if run.eval_every and epoch % run.eval_every == 0:
            audits.append(_audit(model, test, run, device, epoch, fast))
        atomic_write_text(folder.loss, pd.DataFrame(losses).to_csv(index=False, float_format="%.9g"))
        if epoch < run.epochs and clock.due():
            save_epoch_state(resume_path, run, record, inputs, epoch, model, optimizer, losses, audits)
            clock.saved()
            checkpointed = epoch
        if on_epoch_end is not None:
            on_epoch_end(epoch)

    if audits:
        atomic_write_text(folder.audit_epochs, pd.DataFrame(audits).to_csv(index=False, float_format="%.9g"))
    state = model_state(run, record, inputs, model.student_state_dict())
    return write_model(folder, {**state, "hardware": device_record(device)})
