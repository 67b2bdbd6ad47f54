"""The model a run of this suite's implementation trains: the suite's RD4AD from the run's knobs, or what
the run's ``model`` factory returns (rd4ad/contract/factory.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rd4ad.builders.split import teacher_calibration
from rd4ad.contract.factory import DEFAULT_MODEL, checked_model, factory_digest, load_factory
from rd4ad.contract.run import RunConfig
from rd4ad.files.errors import RD4ADError

if TYPE_CHECKING:
    from rd4ad.data import SplitArrays
    from rd4ad.models import RD4AD


def build_model(run: RunConfig, cache_dir: str | None = None, train: SplitArrays | None = None) -> RD4AD:
    """The model ``run`` trains: :func:`build_suite_model`, or what the ``model`` factory returns
    for ``run`` (checked for RD4AD's interface; its source must still be the planned one)."""
    if run.model == DEFAULT_MODEL:
        return build_suite_model(run, cache_dir, train)
    if factory_digest(run.model) != run.model_source:
        raise RD4ADError(
            f"variant {run.variant!r}: the source of model {run.model!r} changed since this run "
            "was planned; re-plan (snakemake re-plans and retrains the runs that use it)"
        )
    return checked_model(load_factory(run.model)(run), run.model)


def build_suite_model(run: RunConfig, cache_dir: str | None = None, train: SplitArrays | None = None) -> RD4AD:
    """The suite's RD4AD from ``run``'s knobs (teacher weights loaded, student initialised from the global
    RNG); a ``random_calibrated`` teacher reads the training split (``train``, or from ``cache_dir``)."""
    from rd4ad.models import build_model as build  # torch: not loaded by planning

    return build(
        run.backbone,
        run.teacher_weights,
        run.bottleneck,
        run.decoder_blocks,
        run.mff_fuse,
        calibration=teacher_calibration(run, cache_dir, train),
    )
