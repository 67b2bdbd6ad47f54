"""A re-creation of the public code's training loop, the speed and equivalence baseline.

Written from a description of the public code (github hq-deng/RD4AD, main.py), not copied: a
torchvision ``ImageFolder`` over ``<category>/train`` that opens each PNG with PIL and applies
Resize((S, S)) → ToTensor → CenterCrop(S) → ImageNet Normalize on every step, a ``DataLoader`` (batch
16, shuffle, no workers), fp32,
Adam(lr, betas=(0.5, 0.999)) on bottleneck + decoder, ``loss.item()`` after every step. Like
the public code, the teacher's weights keep ``requires_grad`` (only its BatchNorm statistics
are fixed), so every backward also computes teacher weight gradients that are never used.

The suite trains with :mod:`rd4ad.training.loop`; this baseline lives with the benchmarks, for
``bench_train.py`` and ``tests/test_fast_path.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler
from torchvision import datasets, transforms

from rd4ad.builders.model import build_model
from rd4ad.contract.run import RunConfig
from rd4ad.files.errors import RD4ADError
from rd4ad.models import RD4AD, distillation_loss, random_model
from rd4ad.models.inputs import IMAGENET_MEAN, IMAGENET_STD


def public_code_model(backbone: str) -> RD4AD:
    """The public code's model (full OCBE, decoder blocks [3,4,6]) with a random teacher: weights do
    not change its cost, so the benchmarks time and count this one."""
    return random_model(backbone)


def public_transform(image_size: int) -> transforms.Compose:
    """The public code's per-step image transform (MVTec, ImageNet normalisation)."""
    return transforms.Compose(
        [
            transforms.Resize((image_size, image_size)),
            transforms.ToTensor(),
            transforms.CenterCrop(image_size),
            transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )


def public_train_loader(
    data_root: str | Path, category: str, image_size: int, batch_size: int = 16, sampler: Sampler | None = None
) -> DataLoader:
    """``ImageFolder(<root>/<category>/train)`` in a shuffling DataLoader (or in ``sampler``'s order)."""
    folder = Path(data_root) / category / "train"
    if not folder.is_dir():
        raise RD4ADError(
            f"{folder}: no such folder; the public loop reads an MVTec-layout category "
            f"(<root>/<category>/train/good/*.png)"
        )
    dataset = datasets.ImageFolder(str(folder), transform=public_transform(image_size))
    return DataLoader(dataset, batch_size=batch_size, shuffle=sampler is None, sampler=sampler)


def train_public(
    run: RunConfig,
    device: torch.device,
    sampler: Sampler | None = None,
    on_epoch_end: Callable[[int, float], None] | None = None,
) -> RD4AD:
    """Train ``run`` (an MVTec-layout dataset) the public code's way; returns the trained model.

    ``on_epoch_end(epoch, mean_loss)`` is called after each epoch. The student is initialised
    exactly as :func:`rd4ad.training.loop.train_run` does (same seed → same initial weights).
    """
    torch.manual_seed(run.seed)
    np.random.seed(run.seed % 2**32)
    model = build_model(run).to(device)
    model.encoder.requires_grad_(True)
    optimizer = torch.optim.Adam(model.trainable_parameters(), lr=run.lr, betas=(0.5, 0.999))
    loader = public_train_loader(run.data_root, run.category, run.image_size, run.batch_size, sampler)
    for epoch in range(1, run.epochs + 1):
        model.train()
        losses = []
        for image, _ in loader:
            feats_e, feats_d = model(image.to(device))
            loss = distillation_loss(feats_e, feats_d, run.loss)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        if on_epoch_end is not None:
            on_epoch_end(epoch, float(np.mean(losses)))
    return model
