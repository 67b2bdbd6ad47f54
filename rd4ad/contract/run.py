"""One run of the suite — dataset × category × variant × seed — with every knob that shapes it.

``RunConfig`` is the one place that states a run's fields, their defaults and their allowed
values. Planning imports this module, so it loads no torch: the allowed values come from the torch-free
``choices`` modules of the parts that implement them. It builds nothing: rd4ad/builders/ reads a run's
splits and model from it, and the run's implementation (rd4ad/implementations/) checks the knobs it takes.
The knobs of a config's ``variants:`` entry are checked against :func:`knob_schema`,
generated from the fields below (rd4ad/planning/planner.py adds it to the config schema), so the
schema's defaults are these defaults. The plan stores each run as ``to_dict()``; ``model.pt``
and ``metrics.json`` carry the same dict.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import MISSING, dataclass, field

from rd4ad.contract.checks import check_run_values
from rd4ad.contract.factory import DEFAULT_MODEL, check_factory_name
from rd4ad.contract.layout import RunKey
from rd4ad.data.choices import LOADERS, PROTOCOL_KEYS
from rd4ad.files.errors import RD4ADError
from rd4ad.machine.choices import LABELS as PRECISION_LABELS
from rd4ad.machine.choices import PRECISIONS
from rd4ad.models.choices import (
    BACKBONE_NAMES,
    BOTTLENECKS,
    DECODER_BLOCK_KINDS,
    IMAGE_STRIDE,
    IMPLEMENTATIONS,
    LOSS_NAMES,
    MFF_FUSES,
)
from rd4ad.models.teachers import TeacherKind
from rd4ad.scoring.choices import MAP_BORDERS, REDUCTIONS

_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


def _knob(
    doc: str,
    default=MISSING,
    *,
    choices=None,
    minimum=None,
    exclusive_minimum=None,
    exclusive_maximum=None,
    multiple_of=None,
):
    """A field that a config's ``variants:`` entry sets: its description, default and allowed values."""
    limits = {
        "enum": list(choices) if choices is not None else None,
        "minimum": minimum,
        "exclusiveMinimum": exclusive_minimum,
        "exclusiveMaximum": exclusive_maximum,
        "multipleOf": multiple_of,
    }
    return field(default=default, metadata={"description": doc, **{k: v for k, v in limits.items() if v is not None}})


def _check_declared(f: dataclasses.Field, value) -> None:
    """Raise an ``RD4ADError`` if ``value`` breaks a limit that knob ``f`` declares (its ``_knob`` metadata,
    the same limits :func:`knob_schema` gives the config schema)."""
    meta, key = f.metadata, f"run config key {f.name!r}"
    if "enum" in meta and value not in meta["enum"]:
        raise RD4ADError(f"{key} = {value!r}; choose one of {', '.join(meta['enum'])}")
    if isinstance(value, float) and not math.isfinite(value):
        raise RD4ADError(f"{key} must be a finite number, got {value}")
    if "minimum" in meta and value < meta["minimum"]:
        raise RD4ADError(f"{key} must be >= {meta['minimum']}, got {value}")
    if "exclusiveMinimum" in meta and value <= meta["exclusiveMinimum"]:
        raise RD4ADError(f"{key} must be > {meta['exclusiveMinimum']}, got {value}")
    if "exclusiveMaximum" in meta and value >= meta["exclusiveMaximum"]:
        raise RD4ADError(f"{key} must be < {meta['exclusiveMaximum']}, got {value}")
    if "multipleOf" in meta and value % meta["multipleOf"]:
        raise RD4ADError(f"{key} must be a multiple of {meta['multipleOf']}, got {value} ({meta['description']})")


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """Everything that determines a trained model and its evaluation."""

    # Which run, and the data it reads: filled from the config's `datasets:` entry and mode.
    dataset: str  # dataset role: key of `datasets:`, results/<dataset>/
    category: str  # MVTec category, normal class id, or Caltech-256 repeat (r0, r1, …)
    variant: str  # key of `variants:`
    seed: int
    loader: str  # which loader reads the data (rd4ad.data.LOADERS)
    data_root: str
    protocol: dict  # Caltech-256 split knobs (rd4ad/data/caltech.py); {} for the other loaders
    demo: bool  # demo data: labelled DEMO, never compared as a reproduction

    # The knobs of the variant (config `variants:`).
    implementation: str = _knob(
        "rd4ad: this suite's model and loop; anomalib: anomalib's ReverseDistillation and "
        "its Engine, which take epochs, batch_size, image_size, backbone, teacher and "
        "seed from the run and fix the rest (the optional extra `anomalib`)",
        "rd4ad",
        choices=IMPLEMENTATIONS,
    )
    backbone: str = _knob("teacher ResNet (Table 6)", choices=BACKBONE_NAMES)
    image_size: int = _knob(
        "images are resized to image_size × image_size (Tables 1–2: 256 and 128); a multiple "
        "of the teacher's stride, the only sizes at which the student's features match",
        minimum=IMAGE_STRIDE,
        multiple_of=IMAGE_STRIDE,
    )
    epochs: int = _knob("training epochs (paper: 200)", minimum=1)
    lr: float = _knob("Adam learning rate (MVTec 0.005; novelty 0.001, supplement B)", exclusive_minimum=0)
    adam_beta2: float = _knob(
        "Adam's second-moment decay β2 (the public code: 0.999; anomalib's ReverseDistillation: 0.99); β1 is 0.5",
        0.999,
        exclusive_minimum=0,
        exclusive_maximum=1,
    )
    batch_size: int = _knob("training batch size (paper: 16)", minimum=1)
    teacher_weights: str = _knob(
        f"{TeacherKind.IMAGENET.value} (the paper's, fetched into <resources>/torch) | {TeacherKind.RANDOM.value} | "
        f"{TeacherKind.CALIBRATED.value} (random, BatchNorm statistics set from the run's training "
        "images: the demo's and CI's teacher, rd4ad/models/calibration.py) | "
        "path to a .pth state dict"
    )
    bottleneck: str = _knob(
        "Table 5 ablation: pre | pre+oce | pre+oce+mff (the full OCBE)", "pre+oce+mff", choices=BOTTLENECKS
    )
    mff_fuse: str = _knob(
        "end of MFF: code: the public code's plain concatenation; paper: §3.2's 1×1 conv + BN + "
        "ReLU on it (pre+oce+mff only)",
        "code",
        choices=MFF_FUSES,
    )
    decoder_blocks: str = _knob(
        "code: the public code's [3,4,6]; supplement: supplement Table 1's [6,4,3]", "code", choices=DECODER_BLOCK_KINDS
    )
    loss: str = _knob(
        "flat: the public code's cosine over flattened C·H·W; eq2: paper Eq. 1–2", "flat", choices=LOSS_NAMES
    )
    score: str = _knob(
        "image score: max of the map (MVTec) or its sum (novelty detection, Table 4)", "max", choices=REDUCTIONS
    )
    map_border: str = _knob(
        "border of the anomaly map's Gaussian smoothing (σ = 4): scipy: gaussian_filter's 'reflect', the edge pixel "
        "repeated (the public code); kornia: the edge pixel not repeated (anomalib's ReverseDistillation)",
        "scipy",
        choices=MAP_BORDERS,
    )
    eval_every: int = _knob(
        "audit only (leaks the test set): evaluate on the test set every N epochs as the public code does; 0 = off",
        0,
        minimum=0,
    )
    precision: str = _knob(
        "; ".join(f"{k}: {v}" for k, v in PRECISION_LABELS.items()) + " (rd4ad/machine/precision.py; "
        "the paper and the public code: fp32)",
        "fp32",
        choices=PRECISIONS,
    )
    model: str = _knob(
        f"{DEFAULT_MODEL}: the suite's RD4AD built from the knobs above; or your own model code, a "
        "factory module:function called with the run's RunConfig that returns a module with RD4AD's "
        "interface (rd4ad/contract/factory.py; examples/ocbe_width64.py): code the train and evaluate "
        "jobs import and run (planning only parses it)",
        DEFAULT_MODEL,
    )
    fast: bool = _knob(
        "GPU fast path: channels_last and fused Adam (tests/test_fast_path.py checks it against "
        "the public code's loop); on CPU only when asked (rd4ad/machine/fast_path.py)",
        True,
    )

    # Filled by the planner, not by a variant: the digest of the model factory's source (""
    # for the suite's model), so that editing the factory changes the run and retrains it.
    model_source: str = ""

    def __post_init__(self) -> None:
        for f in knobs():
            _check_declared(f, getattr(self, f.name))
        if self.loader not in LOADERS:
            raise RD4ADError(f"run config key 'loader' = {self.loader!r}; choose one of {', '.join(LOADERS)}")
        if self.protocol and self.loader != "caltech256":
            raise RD4ADError(
                f"run config key 'protocol' is for caltech256 only; loader {self.loader!r} got {sorted(self.protocol)}"
            )
        unknown = sorted(set(self.protocol) - set(PROTOCOL_KEYS))
        if unknown:
            raise RD4ADError(f"run config key 'protocol' has unknown keys {unknown}; known: {', '.join(PROTOCOL_KEYS)}")
        check_factory_name(self.model)
        check_run_values(vars(self))

    @property
    def key(self) -> RunKey:
        """Where the run lives: results/<dataset>/<category>/<variant>/seed<seed>/."""
        return RunKey(self.dataset, self.category, self.variant, self.seed)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RunConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown, missing = sorted(set(data) - known), sorted(known - set(data))
        if unknown or missing:
            raise RD4ADError(
                f"run description: unknown keys {unknown}, missing keys {missing}; it was written "
                f"by another version of the suite: re-plan and retrain"
            )
        return cls(**data)


def knobs() -> tuple[dataclasses.Field, ...]:
    """The fields a config's ``variants:`` entry sets (those with a description)."""
    return tuple(f for f in dataclasses.fields(RunConfig) if "description" in f.metadata)


def knob_schema() -> dict:
    """JSON schema of the knobs of one ``variants:`` entry: ``{"required": [...], "properties": {...}}``."""
    properties, required = {}, []
    for f in knobs():
        prop = {"type": _JSON_TYPES[f.type], **f.metadata}
        if f.default is MISSING:
            required.append(f.name)
        else:
            prop["default"] = f.default
        properties[f.name] = prop
    return {"required": required, "properties": properties}
