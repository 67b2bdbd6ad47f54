"""Distillation loss between teacher and student features (paper Eq. 1–2, and the public code's)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from rd4ad.files.errors import RD4ADError
from rd4ad.models.features import check_feature_pairs


def flat_cosine_distance(fe: torch.Tensor, fd: torch.Tensor) -> torch.Tensor:
    """(B,) 1 − cos between each sample's whole flattened C·H·W feature vectors (the public code)."""
    return 1 - F.cosine_similarity(fe.flatten(1), fd.flatten(1), dim=1)


def pixel_cosine_distance(fe: torch.Tensor, fd: torch.Tensor) -> torch.Tensor:
    """(B,) Eq. 1 map M^k = 1 − cos along channels at each location, averaged over H·W (Eq. 2)."""
    return (1 - F.cosine_similarity(fe, fd, dim=1)).flatten(1).mean(dim=1)


LOSSES = {"flat": flat_cosine_distance, "eq2": pixel_cosine_distance}


def distillation_loss(feats_e: Sequence[torch.Tensor], feats_d: Sequence[torch.Tensor], kind: str) -> torch.Tensor:
    """Scalar loss: per level the batch mean of the ``kind`` distance, summed over levels (Eq. 2).

    ``flat``: the public code (cosine over flattened C·H·W per sample); ``eq2``: paper Eq. 1–2
    (per-location cosine along channels, 1 − cos averaged over H·W).
    """
    if kind not in LOSSES:
        raise RD4ADError(f"loss: '{kind}' is unknown; use 'flat' (public code) or 'eq2' (paper Eq. 1–2)")
    check_feature_pairs(feats_e, feats_d, caller="distillation_loss")
    return torch.stack([LOSSES[kind](fe, fd).mean() for fe, fd in zip(feats_e, feats_d)]).sum()
