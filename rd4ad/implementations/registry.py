"""Every implementation by its ``implementation`` knob value, and a run's."""

from __future__ import annotations

from rd4ad.contract.run import RunConfig
from rd4ad.implementations.anomalib import ANOMALIB
from rd4ad.implementations.ours import OURS
from rd4ad.implementations.strategy import Implementation

IMPLEMENTATIONS = {i.name: i for i in (OURS, ANOMALIB)}


def implementation_of(run: RunConfig) -> Implementation:
    """``run``'s implementation, once its knobs are checked against what that implementation takes."""
    implementation = IMPLEMENTATIONS[run.implementation]
    implementation.check_knobs(run)
    return implementation
