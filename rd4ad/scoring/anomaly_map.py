"""Per-level anomaly maps M_k = 1 − cos(f_E^k, f_D^k) (Eq. 3), level subsets (Table 7), image scores."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from rd4ad.files.errors import RD4ADError
from rd4ad.models.features import check_feature_pairs
from rd4ad.scoring.choices import REDUCTIONS
from rd4ad.scoring.smoothing import gaussian_smooth

LEVEL_SUBSETS: dict[str, tuple[int, ...]] = {
    "M1": (0,),
    "M2": (1,),
    "M3": (2,),
    "M2+3": (1, 2),
    "M1+2+3": (0, 1, 2),
}
HEADLINE = "M1+2+3"


def level_maps(feats_e: Sequence[torch.Tensor], feats_d: Sequence[torch.Tensor], size: int) -> torch.Tensor:
    """(B, K, size, size) maps 1 − cos along channels per level, bilinear upsampled (align_corners=True)."""
    check_feature_pairs(feats_e, feats_d, caller="level_maps")
    maps = []
    for fe, fd in zip(feats_e, feats_d):
        m = 1 - F.cosine_similarity(fe, fd, dim=1)
        maps.append(F.interpolate(m.unsqueeze(1), size=(size, size), mode="bilinear", align_corners=True))
    return torch.cat(maps, dim=1)


def subset_maps(
    maps: torch.Tensor,
    levels: Sequence[int],
    device: torch.device | None = None,
    sigma: float = 4.0,
    batch_size: int = 64,
    border: str = "scipy",
) -> torch.Tensor:
    """Eq. 3 on a level subset (Table 7): the chosen levels of (N, K, S, S) maps summed, Gaussian σ = 4.

    Smoothed on ``device`` (default: the maps' own) ``batch_size`` images at a time, with the ``border`` of
    rd4ad/scoring/smoothing.py; (N, S, S) on the maps' device.
    """
    if maps.ndim != 4:
        raise RD4ADError(f"subset_maps: expected level maps of shape (N, K, S, S), got {tuple(maps.shape)}")
    if not levels or any(not 0 <= k < maps.shape[1] for k in levels):
        raise RD4ADError(f"subset_maps: levels {tuple(levels)} are outside 0..{maps.shape[1] - 1}")
    device = maps.device if device is None else device
    return torch.cat(
        [
            gaussian_smooth(maps[i : i + batch_size, list(levels)].to(device).sum(dim=1), sigma, border=border).to(
                maps.device
            )
            for i in range(0, len(maps), batch_size)
        ]
    )


def subset_scores(
    maps: torch.Tensor,
    levels: Sequence[int],
    reduce: str,
    device: torch.device | None = None,
    *,
    border: str = "scipy",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Subset → smoothed map → image score: ``(subset_maps(...), image_scores(..., reduce))``."""
    smoothed = subset_maps(maps, levels, device, border=border)
    return smoothed, image_scores(smoothed, reduce)


def image_scores(smoothed: torch.Tensor, reduce: str) -> torch.Tensor:
    """(B,) image scores: ``max`` of each map (S_AD, MVTec) or ``sum`` (novelty detection, Table 4)."""
    if smoothed.ndim != 3:
        raise RD4ADError(f"image_scores: expected maps of shape (B, S, S), got {tuple(smoothed.shape)}")
    if reduce not in REDUCTIONS:
        raise RD4ADError(
            f"image_scores: reduce must be one of {', '.join(REDUCTIONS)} (got {reduce!r}); check the variant's 'score'"
        )
    flat = smoothed.flatten(1)
    return flat.amax(dim=1) if reduce == "max" else flat.sum(dim=1)
