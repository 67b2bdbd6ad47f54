"""Checks of a run's values beyond its choice lists: names safe in paths, a finite learning
rate, a seed torch and numpy accept, an image size the model supports, an MFF ending only
where there is an MFF."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rd4ad.errors import RD4ADError
from rd4ad.models.network import IMAGE_STRIDE
from rd4ad.names import check_name

if TYPE_CHECKING:
    from rd4ad.run import RunConfig

MAX_SEED = 2**32 - 1  # 32-bit: the epoch shuffle seeds torch with seed · 100_003 + epoch, far from overflow


def check_run_values(run: RunConfig) -> None:
    """Raise an ``RD4ADError`` naming the first run config key whose value cannot work."""
    check_name("run config key 'dataset'", run.dataset)
    check_name("run config key 'category'", run.category)
    check_name("run config key 'variant'", run.variant)
    if not (isinstance(run.lr, (int, float)) and math.isfinite(run.lr) and run.lr > 0):
        raise RD4ADError(f"run config key 'lr' must be a finite number > 0, got {run.lr}")
    if run.eval_every < 0:
        raise RD4ADError(f"run config key 'eval_every' must be >= 0 (0 = no test-set audit), got {run.eval_every}")
    if not 0 <= run.seed <= MAX_SEED:
        raise RD4ADError(f"run config key 'seed' must be in [0, {MAX_SEED}], got {run.seed}")
    if run.image_size < IMAGE_STRIDE or run.image_size % IMAGE_STRIDE:
        raise RD4ADError(f"run config key 'image_size' must be a multiple of {IMAGE_STRIDE} (at least "
                         f"{IMAGE_STRIDE}; the paper uses 256), got {run.image_size}: the student's features "
                         "match the teacher's only at those sizes")
    if run.mff_fuse != "code" and run.bottleneck != "pre+oce+mff":
        raise RD4ADError(f"run config key 'mff_fuse' = {run.mff_fuse!r} needs bottleneck 'pre+oce+mff' (the "
                         f"only one with MFF), got {run.bottleneck!r}: remove mff_fuse from that variant")
