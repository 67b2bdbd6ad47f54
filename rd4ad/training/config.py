"""One run of the suite: dataset × category × variant × seed, with every knob named."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from rd4ad.data import DATASETS, SplitArrays, load_split
from rd4ad.data.caltech import PROTOCOL_KEYS
from rd4ad.errors import RD4ADError
from rd4ad.models import RD4AD, build_model
from rd4ad.models.bottleneck import BOTTLENECKS
from rd4ad.models.decoder import DECODER_BLOCKS as _DECODER_BLOCKS
from rd4ad.models.encoder import BACKBONES as _BACKBONES
from rd4ad.run_checks import check_run_values
from rd4ad.training.loss import LOSSES as _LOSSES

BACKBONES = tuple(_BACKBONES)
DECODER_BLOCKS = tuple(_DECODER_BLOCKS)
LOSSES = tuple(_LOSSES)
SCORES = ("max", "sum")


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a trained model (SPEC.md "Training")."""

    dataset: str
    category: str
    data_root: str = ""
    variant: str = "default"
    backbone: str = "wide_resnet50_2"
    teacher_weights: str = "imagenet_v1"
    bottleneck: str = "pre+oce+mff"
    decoder_blocks: str = "code"
    loss: str = "flat"
    image_size: int = 256
    epochs: int = 200
    lr: float = 0.005
    batch_size: int = 16
    seed: int = 111
    score: str = "max"
    checkpoint_every: int = 1
    eval_every: int = 0
    fast: bool = False
    demo: bool = False
    protocol: dict = field(default_factory=dict)  # Caltech-256 split knobs (rd4ad/data/caltech.py)

    def __post_init__(self) -> None:
        for key, allowed in (("backbone", BACKBONES), ("bottleneck", BOTTLENECKS),
                             ("decoder_blocks", DECODER_BLOCKS), ("loss", LOSSES),
                             ("score", SCORES), ("dataset", DATASETS)):
            value = getattr(self, key)
            if value not in allowed:
                raise RD4ADError(f"run config key {key!r} = {value!r}; choose one of {', '.join(allowed)}")
        for key in ("epochs", "batch_size", "checkpoint_every"):
            if getattr(self, key) < 1:
                raise RD4ADError(f"run config key {key!r} must be >= 1, got {getattr(self, key)}")
        check_run_values(self)
        if self.protocol and self.dataset != "caltech256":
            raise RD4ADError(f"run config key 'protocol' is for caltech256 only; dataset {self.dataset!r} "
                             f"got {sorted(self.protocol)}")
        unknown = sorted(set(self.protocol) - set(PROTOCOL_KEYS))
        if unknown:
            raise RD4ADError(f"run config key 'protocol' has unknown keys {unknown}; known: {', '.join(PROTOCOL_KEYS)}")

    def load_split(self, split: str, cache_dir: str | None = None) -> SplitArrays:
        """The run's ``train`` or ``test`` split (``rd4ad.data.load_split`` with its protocol knobs)."""
        return load_split(self.dataset, self.data_root, self.category, split, self.image_size,
                          cache_dir=cache_dir, **self.protocol)

    def build_model(self) -> RD4AD:
        """The RD4AD model this run trains (teacher weights loaded, student initialised from the global RNG)."""
        return build_model(backbone=self.backbone, teacher_weights=self.teacher_weights,
                           bottleneck=self.bottleneck, decoder_blocks=self.decoder_blocks)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "RunConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise RD4ADError(f"unknown run config keys {unknown}; known keys: {sorted(known)}")
        return cls(**data)
