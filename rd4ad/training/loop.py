"""The training loop: Adam(lr, betas=(0.5, 0.999)) on bottleneck + decoder, as the public code.

Resumable: every ``checkpoint_every`` epochs the full state (student weights, optimizer,
loss log, audit log) goes to the run folder's ``resume.pt``, which is NOT the declared
output. Shuffling draws from a generator seeded by (seed, epoch), so a run killed and
resumed ends with exactly the weights of an uninterrupted run. A ``resume.pt`` that cannot
be read or does not fit the run is moved aside (``resume.pt.corrupt``) and training starts
over: nothing it held can be trusted, and nothing else is lost.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from rd4ad.data import SplitArrays
from rd4ad.errors import RD4ADError, UnreadableFileError
from rd4ad.evaluation.inference import infer_level_maps
from rd4ad.evaluation.levels import evaluate_maps
from rd4ad.io import atomic_torch_save, atomic_write_text, load_checkpoint, move_aside
from rd4ad.layout import RunFolder
from rd4ad.models import distillation_loss
from rd4ad.models.inputs import to_model_input
from rd4ad.numerics import numerics_record
from rd4ad.paths import writable_file
from rd4ad.run import RunConfig
from rd4ad.scoring import HEADLINE, LEVEL_SUBSETS
from rd4ad.temporaries import clean_stale

RESUME_KEYS = ("run", "epoch", "student", "optimizer", "losses", "audits")
START_OVER = "training starts again from epoch 1"


def epoch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The shuffled sample order of one epoch; depends only on (seed, epoch)."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))


def _optimizer(model: torch.nn.Module, run: RunConfig, device: torch.device) -> torch.optim.Optimizer:
    fused = run.fast and device.type == "cuda"
    return torch.optim.Adam(model.trainable_parameters(), lr=run.lr, betas=(0.5, 0.999), fused=fused or None)


def _load_resume(path: Path, run: RunConfig, device: torch.device, numerics: str) -> dict | None:
    if not path.is_file():
        return None
    try:
        state = load_checkpoint(path, map_location=device)
    except UnreadableFileError as err:
        move_aside(path, f"unreadable resume checkpoint ({err.detail})", START_OVER)
        return None
    if not isinstance(state, dict) or not set(RESUME_KEYS) <= set(state):
        move_aside(path, f"not a resume checkpoint of `python -m rd4ad train` (it lacks {', '.join(RESUME_KEYS)})",
                   START_OVER)
        return None
    if state.get("run") != run.to_dict():
        print(f"{path}: written by a different run config; starting from epoch 0", file=sys.stderr)
        return None
    if state.get("numerics", {}).get("cpu_numerics") != numerics:
        print(f"{path}: written with other CPU numerics; starting from epoch 0 so that one setting "
              "produces the whole run", file=sys.stderr)
        return None
    return state


def _fresh(run: RunConfig, device: torch.device, compile: bool):
    """The seeded model, its optimizer and the forward to train (``torch.compile`` of the model or itself)."""
    torch.manual_seed(run.seed)
    np.random.seed(run.seed % 2**32)
    model = run.build_model().to(device)
    if run.fast and device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    optimizer = _optimizer(model, run, device)
    return model, optimizer, torch.compile(model) if compile else model


def _resume(state: dict, model, optimizer, run: RunConfig) -> tuple[list, list, int]:
    """Load ``state`` into the model and optimizer; (losses, audits, first epoch). Raises on a mismatch."""
    epoch = state["epoch"]
    if not (isinstance(epoch, int) and 1 <= epoch < run.epochs):
        raise ValueError(f"epoch {epoch!r} outside 1..{run.epochs - 1}")
    model.load_student_state_dict(state["student"])
    optimizer.load_state_dict(state["optimizer"])
    return list(state["losses"]), list(state["audits"]), epoch + 1


def _audit(model, test: SplitArrays, run: RunConfig, device, epoch: int) -> dict:
    maps = infer_level_maps(model, test, device, autocast=run.fast and device.type == "cuda")
    metrics, _, _ = evaluate_maps(maps, test, run.score, device, {HEADLINE: LEVEL_SUBSETS[HEADLINE]})
    return {"epoch": epoch, **{k: v for k, v in metrics[HEADLINE].items() if k != "pro_public"}}


def train_run(run: RunConfig, folder: RunFolder, device: torch.device, cache_dir: str | None = None,
              on_epoch_end: Callable[[int], None] | None = None, compile: bool = False,
              numerics: str = "native") -> Path:
    """Train ``run`` and write its ``folder.model`` atomically; resume from ``folder.resume`` if present.

    ``compile`` runs the training forward through ``torch.compile`` (same parameters; an
    execution choice, not part of the run). ``numerics`` names the CPU numerics the process
    runs under (``rd4ad.numerics``; applied by the caller) and is recorded with the weights.
    Returns the model path.
    """
    writable_file(folder.model)
    clean_stale(folder.path)
    resume_path = folder.resume

    train = run.load_split("train", cache_dir)
    test = run.load_split("test", cache_dir) if run.eval_every else None
    images = train.images.to(device).contiguous()

    channels_last = run.fast and device.type == "cuda"
    model, optimizer, forward = _fresh(run, device, compile)
    losses: list[dict] = []
    audits: list[dict] = []
    first_epoch = 1
    record = numerics_record(numerics)
    state = _load_resume(resume_path, run, device, numerics)
    if state is not None:
        try:
            losses, audits, first_epoch = _resume(state, model, optimizer, run)
        except (RD4ADError, KeyError, ValueError, TypeError, RuntimeError) as err:
            move_aside(resume_path, f"resume checkpoint does not fit this run ({str(err).splitlines()[0][:160]})",
                       START_OVER)
            model, optimizer, forward = _fresh(run, device, compile)  # the failed load left it half-written
    checkpointed = first_epoch - 1 if first_epoch > 1 else None

    progress = tqdm(range(first_epoch, run.epochs + 1), initial=first_epoch - 1, total=run.epochs,
                    desc=f"train {run.dataset}/{run.category}/{run.variant}/seed{run.seed}",
                    disable=not sys.stderr.isatty(), unit="epoch")
    for epoch in progress:
        tic = time.perf_counter()
        model.train()
        order = epoch_order(len(images), run.seed, epoch).to(device)
        total = torch.zeros((), device=device)
        batches = 0
        for start in range(0, len(order), run.batch_size):
            x = to_model_input(images[order[start:start + run.batch_size]], train.normalize, channels_last)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=channels_last):
                feats_e, feats_d = forward(x)
                loss = distillation_loss([f.float() for f in feats_e], [f.float() for f in feats_d], run.loss)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach()
            batches += 1
        mean_loss = (total / batches).item()
        if not math.isfinite(mean_loss):
            kept = (f"the last finite state (epoch {checkpointed}) is in {resume_path}" if checkpointed
                    else "no checkpoint was written yet")
            raise RD4ADError(f"training loss became {mean_loss} in epoch {epoch} of {folder.path}; lower the "
                             f"learning rate (variant '{run.variant}', lr={run.lr}); {kept}")
        losses.append({"epoch": epoch, "loss": mean_loss, "seconds": round(time.perf_counter() - tic, 4)})
        progress.set_postfix(loss=f"{mean_loss:.4f}")
        if run.eval_every and epoch % run.eval_every == 0:
            audits.append(_audit(model, test, run, device, epoch))
        atomic_write_text(folder.loss, pd.DataFrame(losses).to_csv(index=False, float_format="%.9g"))
        if epoch % run.checkpoint_every == 0 and epoch < run.epochs:
            atomic_torch_save({"run": run.to_dict(), "numerics": record, "epoch": epoch,
                               "student": model.student_state_dict(),
                               "optimizer": optimizer.state_dict(), "losses": losses, "audits": audits},
                              resume_path)
            checkpointed = epoch
        if on_epoch_end is not None:
            on_epoch_end(epoch)

    if audits:
        atomic_write_text(folder.audit_epochs, pd.DataFrame(audits).to_csv(index=False, float_format="%.9g"))
    atomic_torch_save({"run": run.to_dict(), "numerics": record, "epochs": run.epochs,
                       "student": model.student_state_dict()}, folder.model)
    resume_path.unlink(missing_ok=True)
    return folder.model
