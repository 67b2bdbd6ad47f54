"""Your own model code in the suite's protocol: RD4AD with anomalib's OCBE width.

The public code (and this suite) builds the one-class embedding's Bottleneck blocks with the
teacher's width: 128 for wide_resnet50_2. anomalib's ReverseDistillation builds them at the plain
width 64 (rd4ad/report/cross_implementation.py lists the difference). This factory trains the suite's
RD4AD with that one change, so a comparison against the headline measures it alone:

    variants:
      wrn50_ocbe64: {model: "examples.ocbe_width64:build", backbone: wide_resnet50_2, ...}
    comparisons:
      - {reference: headline, candidate: wrn50_ocbe64}

A ResNet18 teacher has BasicBlocks, which have no width: there the model equals the suite's (a
fresh initialisation of the same shapes), and the comparison shows seed noise only.
"""

from __future__ import annotations

import dataclasses

from rd4ad.builders.model import build_suite_model
from rd4ad.models.bottleneck import OCBE
from rd4ad.models.encoder import backbone_spec

WIDTH = 64  # anomalib's OCBE width (its plain Bottleneck)


def build(run):
    """The run's suite RD4AD with its trainable OCBE rebuilt at ``WIDTH`` (``run``: its RunConfig)."""
    model = build_suite_model(run)
    if not isinstance(model.bottleneck, OCBE):
        raise TypeError(f"variant {run.variant!r}: the OCBE width needs bottleneck pre+oce or pre+oce+mff")
    spec = dataclasses.replace(backbone_spec(run.backbone), width_per_group=WIDTH)
    model.bottleneck = OCBE(spec, run.mff_fuse if model.bottleneck.mff is not None else None)
    return model
