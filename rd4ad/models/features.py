"""The teacher/student feature pairs that the loss (Eq. 1–2) and the anomaly maps (Eq. 3) compare."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from rd4ad.files.errors import RD4ADError


def check_feature_pairs(feats_e: Sequence[torch.Tensor], feats_d: Sequence[torch.Tensor], *, caller: str) -> None:
    """Raise an ``RD4ADError`` naming ``caller`` unless encoder and decoder give the same non-zero number of
    levels, each pair two (B, C, H, W) tensors of one shape."""
    if len(feats_e) != len(feats_d) or not feats_e:
        raise RD4ADError(
            f"{caller}: need the same non-zero number of encoder and decoder levels "
            f"(got {len(feats_e)} and {len(feats_d)})"
        )
    for k, (fe, fd) in enumerate(zip(feats_e, feats_d)):
        if fe.shape != fd.shape or fe.ndim != 4:
            raise RD4ADError(
                f"{caller}: level {k} features must both be (B, C, H, W) of one shape "
                f"(got {tuple(fe.shape)} and {tuple(fd.shape)})"
            )
