"""A run shape (what a training step's time depends on) and its timings, without torch
(rd4ad/cost/timing.py measures them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple

from rd4ad.contract.run import RunConfig
from rd4ad.implementations.registry import implementation_of


class RunShape(NamedTuple):
    """What a training step's time depends on."""

    implementation: str
    backbone: str
    image_size: int
    batch_size: int
    precision: str

    @classmethod
    def of(cls, run: RunConfig) -> RunShape:
        precision = implementation_of(run).timed_precision(run)
        return cls(run.implementation, run.backbone, run.image_size, run.batch_size, precision)

    def __str__(self) -> str:
        return f"{self.implementation}/{self.backbone}/{self.image_size}px/b{self.batch_size}/{self.precision}"

    @classmethod
    def parse(cls, text: str) -> RunShape:
        """The shape ``str(shape)`` wrote."""
        implementation, backbone, size, batch, precision = text.split("/")
        return cls(implementation, backbone, int(size.removesuffix("px")), int(batch.removeprefix("b")), precision)


@dataclass(frozen=True)
class ShapeTiming:
    """Seconds of one training step, of one evaluated image, of building the model; peak device MB (CUDA);
    seconds per image of a ``random_calibrated`` teacher's calibration (on one CPU thread, whatever the device)."""

    step_s: float
    infer_s_per_image: float
    build_s: float
    peak_mb: float | None
    calibrate_s_per_image: float

    def to_dict(self) -> dict:
        return asdict(self)
