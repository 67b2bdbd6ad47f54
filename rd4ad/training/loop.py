"""The training loop: Adam(lr, betas=(0.5, 0.999)) on bottleneck + decoder, as the public code.

Resumable: every ``checkpoint_every`` epochs the full state (student weights, optimizer,
loss log, audit log) goes to the run folder's ``resume.pt``, which is NOT the declared
output. Shuffling draws from a generator seeded by (seed, epoch), so a run killed and
resumed ends with exactly the weights of an uninterrupted run.
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
from rd4ad.errors import RD4ADError
from rd4ad.evaluation.inference import infer_level_maps
from rd4ad.evaluation.levels import evaluate_maps
from rd4ad.io import atomic_torch_save, atomic_write_text, load_checkpoint
from rd4ad.layout import RunFolder
from rd4ad.models import distillation_loss
from rd4ad.models.inputs import to_model_input
from rd4ad.run import RunConfig
from rd4ad.scoring import HEADLINE, LEVEL_SUBSETS


def epoch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The shuffled sample order of one epoch; depends only on (seed, epoch)."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))


def _optimizer(model: torch.nn.Module, run: RunConfig, device: torch.device) -> torch.optim.Optimizer:
    fused = run.fast and device.type == "cuda"
    return torch.optim.Adam(model.trainable_parameters(), lr=run.lr, betas=(0.5, 0.999), fused=fused or None)


def _load_resume(path: Path, run: RunConfig, device: torch.device) -> dict | None:
    if not path.is_file():
        return None
    state = load_checkpoint(path, map_location=device)
    if state.get("run") != run.to_dict():
        print(f"{path}: written by a different run config; starting from epoch 0", file=sys.stderr)
        return None
    return state


def _audit(model, test: SplitArrays, run: RunConfig, device, epoch: int) -> dict:
    maps = infer_level_maps(model, test, device, autocast=run.fast and device.type == "cuda")
    metrics, _, _ = evaluate_maps(maps, test, run.score, device, {HEADLINE: LEVEL_SUBSETS[HEADLINE]})
    return {"epoch": epoch, **{k: v for k, v in metrics[HEADLINE].items() if k != "pro_public"}}


def train_run(run: RunConfig, folder: RunFolder, device: torch.device, cache_dir: str | None = None,
              on_epoch_end: Callable[[int], None] | None = None, compile: bool = False) -> Path:
    """Train ``run`` and write its ``folder.model`` atomically; resume from ``folder.resume`` if present.

    ``compile`` runs the training forward through ``torch.compile`` (same parameters; an
    execution choice, not part of the run). Returns the model path.
    """
    folder.path.mkdir(parents=True, exist_ok=True)
    resume_path = folder.resume

    train = run.load_split("train", cache_dir)
    test = run.load_split("test", cache_dir) if run.eval_every else None
    images = train.images.to(device).contiguous()

    torch.manual_seed(run.seed)
    np.random.seed(run.seed % 2**32)
    model = run.build_model().to(device)
    channels_last = run.fast and device.type == "cuda"
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = _optimizer(model, run, device)
    forward = torch.compile(model) if compile else model

    losses: list[dict] = []
    audits: list[dict] = []
    first_epoch = 1
    state = _load_resume(resume_path, run, device)
    if state is not None:
        model.load_student_state_dict(state["student"])
        optimizer.load_state_dict(state["optimizer"])
        losses, audits, first_epoch = state["losses"], state["audits"], state["epoch"] + 1

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
            raise RD4ADError(
                f"training loss became {mean_loss} in epoch {epoch} of {folder.path}; lower the learning rate "
                f"(variant '{run.variant}', lr={run.lr}); the last finite state is in {resume_path}")
        losses.append({"epoch": epoch, "loss": mean_loss, "seconds": round(time.perf_counter() - tic, 4)})
        progress.set_postfix(loss=f"{mean_loss:.4f}")
        if run.eval_every and epoch % run.eval_every == 0:
            audits.append(_audit(model, test, run, device, epoch))
        atomic_write_text(folder.loss, pd.DataFrame(losses).to_csv(index=False, float_format="%.9g"))
        if epoch % run.checkpoint_every == 0 and epoch < run.epochs:
            atomic_torch_save({"run": run.to_dict(), "epoch": epoch, "student": model.student_state_dict(),
                               "optimizer": optimizer.state_dict(), "losses": losses, "audits": audits},
                              resume_path)
        if on_epoch_end is not None:
            on_epoch_end(epoch)

    if audits:
        atomic_write_text(folder.audit_epochs, pd.DataFrame(audits).to_csv(index=False, float_format="%.9g"))
    atomic_torch_save({"run": run.to_dict(), "epochs": run.epochs, "student": model.student_state_dict()},
                      folder.model)
    resume_path.unlink(missing_ok=True)
    return folder.model
