"""Checks of a run's values beyond the limits its knobs declare (rd4ad/contract/run.py ``_knob``):
names safe in paths, a seed torch and numpy accept, an MFF ending only where there is an MFF."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rd4ad.files.errors import RD4ADError
from rd4ad.files.names import check_name

MAX_SEED = 2**32 - 1  # 32-bit: the epoch shuffle seeds torch with seed · 100_003 + epoch, far from overflow


def check_run_values(values: Mapping[str, Any]) -> None:
    """Raise an ``RD4ADError`` naming the first run config key whose value cannot work (``values``: a
    run's fields by name, as ``RunConfig`` holds them)."""
    check_name("run config key 'dataset'", values["dataset"])
    check_name("run config key 'category'", values["category"])
    check_name("run config key 'variant'", values["variant"])
    if not 0 <= values["seed"] <= MAX_SEED:
        raise RD4ADError(f"run config key 'seed' must be in [0, {MAX_SEED}], got {values['seed']}")
    if values["mff_fuse"] != "code" and values["bottleneck"] != "pre+oce+mff":
        raise RD4ADError(
            f"run config key 'mff_fuse' = {values['mff_fuse']!r} needs bottleneck 'pre+oce+mff' (the "
            f"only one with MFF), got {values['bottleneck']!r}: remove mff_fuse from that variant"
        )
