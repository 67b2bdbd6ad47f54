"""Evaluate a trained run, whichever its implementation: ``scores.csv``, ``examples.npz`` and
``metrics.json`` (written last) in its folder."""

from __future__ import annotations

import time

import torch

from rd4ad.contract.layout import RunFolder
from rd4ad.evaluation.evaluate import check_weights, open_run
from rd4ad.evaluation.inference import BATCH_SIZE
from rd4ad.implementations.registry import implementation_of


def evaluate_run(
    folder: RunFolder,
    device: torch.device,
    batch_size: int = BATCH_SIZE,
    cache_dir: str | None = None,
    numerics: str = "native",
    fast_on_cpu: bool = False,
) -> dict:
    """Evaluate the model of ``folder`` on its run's test split with its implementation's ``evaluate``;
    ``metrics.json``'s dict. ``fast_on_cpu``: the fast path's channels_last on CPU too
    (rd4ad/machine/fast_path.py)."""
    start = time.perf_counter()
    ckpt, run = open_run(folder)
    implementation = implementation_of(run)
    check_weights(folder.model, implementation.weights(ckpt))
    return implementation.evaluate(
        folder,
        ckpt,
        device,
        batch_size=batch_size,
        cache_dir=cache_dir,
        numerics=numerics,
        fast_on_cpu=fast_on_cpu,
        start=start,
    )
