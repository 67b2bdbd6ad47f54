"""A hook for end-to-end tests: hold one training run after a checkpointed epoch until it is killed.

The end-to-end tests kill a whole DAG (SIGKILL, ``scancel``) while one run holds a resume checkpoint
and check that nothing is lost. So that the kill lands at the same point on a fast or a slow CPU,
the moment is caused rather than raced: the training job of the run named by the environment
variable ``RD4AD_TEST_HOLD`` (``<run key>@<epoch>``, e.g. ``mvtec/nut/headline/seed0@1``) writes a
resume checkpoint after every epoch up to ``<epoch>``, prints :data:`HELD` with the epoch to its
log, and then waits there until it is killed. Any other run, and every run of a process without
the variable, trains as usual.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from rd4ad.files.errors import RD4ADError

VARIABLE = "RD4AD_TEST_HOLD"
HELD = "held by RD4AD_TEST_HOLD after epoch"  # the job log's line: "<HELD> <epoch>; waiting to be killed"


def held_epoch(run_key: str, environ=os.environ) -> int | None:
    """The epoch after which ``run_key`` is to be held, or None (not named, or no variable)."""
    value = environ.get(VARIABLE)
    if not value:
        return None
    key, _, epoch = value.rpartition("@")
    if not key or not epoch.isdigit() or int(epoch) < 1:
        raise RD4ADError(f"{VARIABLE}={value!r}: expected '<run key>@<epoch>' with an epoch >= 1")
    return int(epoch) if key == run_key else None


def hold_after(epoch: int, poll_seconds: float = 0.2) -> Callable[[int], None]:
    """An ``on_epoch_end`` callback that, after ``epoch``, says so on stderr and sleeps until killed."""

    def on_epoch_end(done: int) -> None:
        if done != epoch:
            return
        print(f"{HELD} {done}; waiting to be killed", file=sys.stderr, flush=True)
        while True:
            time.sleep(poll_seconds)

    return on_epoch_end
