"""Per-level anomaly maps M_k = 1 − cos(f_E^k, f_D^k) (Eq. 3), level subsets (Table 7), image scores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F

from rd4ad.errors import RD4ADError
from rd4ad.scoring.smoothing import gaussian_smooth

LEVEL_SUBSETS: dict[str, tuple[int, ...]] = {
    "M1": (0,), "M2": (1,), "M3": (2,), "M2+3": (1, 2), "M1+2+3": (0, 1, 2),
}
HEADLINE = "M1+2+3"


def level_maps(feats_e: Sequence[torch.Tensor], feats_d: Sequence[torch.Tensor], size: int) -> torch.Tensor:
    """(B, K, size, size) maps 1 − cos along channels per level, bilinear upsampled (align_corners=True)."""
    if len(feats_e) != len(feats_d) or not feats_e:
        raise RD4ADError(f"level_maps: need the same non-zero number of encoder and decoder levels "
                         f"(got {len(feats_e)} and {len(feats_d)})")
    maps = []
    for k, (fe, fd) in enumerate(zip(feats_e, feats_d)):
        if fe.shape != fd.shape or fe.ndim != 4:
            raise RD4ADError(f"level_maps: level {k} features must both be (B, C, h, w) of one shape "
                             f"(got {tuple(fe.shape)} and {tuple(fd.shape)})")
        m = 1 - F.cosine_similarity(fe, fd, dim=1)
        maps.append(F.interpolate(m.unsqueeze(1), size=(size, size), mode="bilinear", align_corners=True))
    return torch.cat(maps, dim=1)


def score_maps(maps: torch.Tensor, subsets: Mapping[str, Sequence[int]] = LEVEL_SUBSETS,
               sigma: float = 4.0) -> dict[str, torch.Tensor]:
    """Sum of each subset's levels of (B, K, S, S) maps (Eq. 3), Gaussian-smoothed: name → (B, S, S)."""
    if maps.ndim != 4:
        raise RD4ADError(f"score_maps: expected level maps of shape (B, K, S, S), got {tuple(maps.shape)}")
    out = {}
    for name, levels in subsets.items():
        if not levels or any(not 0 <= k < maps.shape[1] for k in levels):
            raise RD4ADError(f"score_maps: subset {name!r} = {tuple(levels)} names levels outside "
                             f"0..{maps.shape[1] - 1}")
        out[name] = gaussian_smooth(maps[:, list(levels)].sum(dim=1), sigma)
    return out


def image_scores(smoothed: torch.Tensor, reduce: str = "max") -> torch.Tensor:
    """(B,) image scores: ``max`` of each map (S_AD, MVTec) or ``sum`` (novelty detection, Table 4)."""
    if smoothed.ndim != 3:
        raise RD4ADError(f"image_scores: expected maps of shape (B, S, S), got {tuple(smoothed.shape)}")
    flat = smoothed.flatten(1)
    if reduce == "max":
        return flat.amax(dim=1)
    if reduce == "sum":
        return flat.sum(dim=1)
    raise RD4ADError(f"image_scores: reduce must be 'max' or 'sum' (got {reduce!r}); "
                     "check the variant's 'score'")
