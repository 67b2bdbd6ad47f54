"""FLOPs of one image of a run shape (2 per multiply-add, ``torch.utils.flop_counter``), counted on the meta
device: no memory, no time. ``train``: a training step's forward + backward; ``infer``: the evaluation's
forward; ``teacher``: the teacher's forward alone (a ``random_calibrated`` teacher's BatchNorm pass)."""

from __future__ import annotations

from functools import cache

import torch
from torch.utils.flop_counter import FlopCounterMode

from rd4ad.models import distillation_loss, random_model

COUNT_BATCH = 2  # BatchNorm in train mode needs more than one value per channel


def _count(work) -> float:
    with FlopCounterMode(display=False) as counter:
        work()
    return counter.get_total_flops() / COUNT_BATCH


@cache
def image_flops(backbone: str, image_size: int) -> dict[str, float]:
    """``{"train", "infer", "teacher"}`` FLOPs per image of ``backbone`` at ``image_size`` (the headline model)."""
    with torch.device("meta"):
        model = random_model(backbone)
        x = torch.zeros(COUNT_BATCH, 3, image_size, image_size)

    def train():
        feats_e, feats_d = model.train()(x)
        distillation_loss(feats_e, feats_d, "flat").backward()

    with torch.no_grad():
        flops = {"infer": _count(lambda: model.eval()(x)), "teacher": _count(lambda: model.encoder(x))}
    return {"train": _count(train), **flops}
