"""Train a run of ``implementation: anomalib`` with anomalib's own loop: its ``Engine`` (Lightning)
fits its ``ReverseDistillation`` (Adam lr 0.005, betas (0.5, 0.99) on bottleneck + decoder; flat
cosine loss) for ``run.epochs`` on the run's train split, batches of ``run.batch_size`` shuffled by a
generator seeded with ``run.seed``. Writes ``loss.csv`` (mean loss per epoch) and ``model.pt``
(the run, numerics, input digests and anomalib's model state). Unlike this suite's loop it does not
resume mid-training: a killed run trains again from the start.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
from anomalib.data import ImageBatch
from anomalib.engine import Engine
from lightning.pytorch.callbacks import Callback
from torch.utils.data import DataLoader

from rd4ad.anomalib_rd.availability import anomalib_version
from rd4ad.anomalib_rd.model import TEACHER, build_anomalib_rd, encoder_digest, to_anomalib_input
from rd4ad.builders.split import load_split
from rd4ad.contract.fingerprints import split_digest
from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.files.io import atomic_torch_save, atomic_write_text
from rd4ad.files.paths import writable_file
from rd4ad.files.temporaries import clean_stale, temp_prefix
from rd4ad.machine.device_record import device_record
from rd4ad.machine.numerics import exact_optimizer, numerics_record
from rd4ad.machine.precision import apply_precision


class EpochLoss(Callback):
    """Mean training loss and wall seconds of every epoch, as this suite's ``loss.csv`` rows."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self._total, self._batches, self._tic = 0.0, 0, 0.0

    def on_train_epoch_start(self, trainer, module) -> None:
        self._total, self._batches, self._tic = 0.0, 0, time.perf_counter()

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        self._total += float(outputs["loss"].detach())
        self._batches += 1

    def on_train_epoch_end(self, trainer, module) -> None:
        self.rows.append(
            {
                "epoch": trainer.current_epoch + 1,
                "loss": self._total / self._batches,
                "seconds": round(time.perf_counter() - self._tic, 4),
            }
        )


def train_loader(images: torch.Tensor, run: RunConfig) -> DataLoader:
    """The train split as anomalib ``ImageBatch``es of float images in [0, 1], shuffled from ``run.seed``."""
    return DataLoader(
        range(len(images)),
        batch_size=run.batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(run.seed),
        collate_fn=lambda idx: ImageBatch(image=to_anomalib_input(images[idx])),
    )


def _engine(run: RunConfig, device: torch.device, root: Path, losses: EpochLoss) -> Engine:
    accelerator = "gpu" if device.type == "cuda" else "cpu"
    devices = [device.index or 0] if device.type == "cuda" else 1
    return Engine(
        callbacks=[losses],
        logger=False,
        default_root_dir=root,
        max_epochs=run.epochs,
        accelerator=accelerator,
        devices=devices,
        enable_progress_bar=False,
        enable_model_summary=False,
    )


def train_anomalib_run(
    run: RunConfig, folder: RunFolder, device: torch.device, cache_dir: str | None = None, numerics: str = "native"
) -> Path:
    """Fit anomalib's model for ``run`` and write ``folder.loss`` and ``folder.model``; the model path."""
    writable_file(folder.model)
    clean_stale(folder.path)
    precision = apply_precision(f"train {run.key}", run.precision, device)  # fp32: TF32 off, as the suite's fp32
    train = load_split(run, "train", cache_dir)
    module = build_anomalib_rd(run, train=train)
    anomalib_optimizer = module.configure_optimizers  # pinned numerics: the same Adam on ATen's fused kernel
    module.configure_optimizers = lambda: exact_optimizer(anomalib_optimizer(), numerics)
    inputs = {"train_data": split_digest(train), "teacher": encoder_digest(module)}
    losses = EpochLoss()
    folder.path.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=temp_prefix("anomalib", partial=True), dir=folder.path))
    try:
        _engine(run, device, root, losses).fit(model=module, train_dataloaders=train_loader(train.images, run))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    atomic_write_text(folder.loss, pd.DataFrame(losses.rows).to_csv(index=False, float_format="%.9g"))
    state = {
        "run": run.to_dict(),
        "numerics": {**numerics_record(numerics), **precision},
        "hardware": device_record(device),
        "inputs": inputs,
        "epochs": run.epochs,
        "anomalib": {
            "version": anomalib_version(),
            "teacher": TEACHER,
            "state_dict": {k: v.cpu() for k, v in module.model.state_dict().items()},
        },
    }
    return atomic_torch_save(state, folder.model)
