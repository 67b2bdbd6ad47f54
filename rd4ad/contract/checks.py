"""Checks of a run's values beyond its choice lists: names safe in paths, a finite learning
rate, a seed torch and numpy accept, an image size the model supports, an MFF ending only
where there is an MFF."""

from __future__ import annotations

import math
from typing import Any, Mapping

from rd4ad.files.errors import RD4ADError
from rd4ad.files.names import check_name
from rd4ad.models.choices import IMAGE_STRIDE

MAX_SEED = 2**32 - 1  # 32-bit: the epoch shuffle seeds torch with seed · 100_003 + epoch, far from overflow


def check_run_values(values: Mapping[str, Any]) -> None:
    """Raise an ``RD4ADError`` naming the first run config key whose value cannot work (``values``: a
    run's fields by name, as ``RunConfig`` holds them)."""
    check_name("run config key 'dataset'", values['dataset'])
    check_name("run config key 'category'", values['category'])
    check_name("run config key 'variant'", values['variant'])
    if not (isinstance(values['lr'], (int, float)) and math.isfinite(values['lr']) and values['lr'] > 0):
        raise RD4ADError(f"run config key 'lr' must be a finite number > 0, got {values['lr']}")
    if values['eval_every'] < 0:
        raise RD4ADError(f"run config key 'eval_every' must be >= 0 (0 = no test-set audit), got {values['eval_every']}")
    if not 0 <= values['seed'] <= MAX_SEED:
        raise RD4ADError(f"run config key 'seed' must be in [0, {MAX_SEED}], got {values['seed']}")
    if values['image_size'] < IMAGE_STRIDE or values['image_size'] % IMAGE_STRIDE:
        raise RD4ADError(f"run config key 'image_size' must be a multiple of {IMAGE_STRIDE} (at least "
                         f"{IMAGE_STRIDE}; the paper uses 256), got {values['image_size']}: the student's features "
                         "match the teacher's only at those sizes")
    if values['mff_fuse'] != "code" and values['bottleneck'] != "pre+oce+mff":
        raise RD4ADError(f"run config key 'mff_fuse' = {values['mff_fuse']!r} needs bottleneck 'pre+oce+mff' (the "
                         f"only one with MFF), got {values['bottleneck']!r}: remove mff_fuse from that variant")
