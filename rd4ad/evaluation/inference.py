"""Batched inference: per-level anomaly maps M_k (Eq. 3) for a whole split."""

from __future__ import annotations

import torch

from rd4ad.data import SplitArrays
from rd4ad.machine.precision import autocast
from rd4ad.models.inputs import to_model_input
from rd4ad.scoring import level_maps

BATCH_SIZE = 32  # images per inference batch: an execution choice, the maps do not depend on it


@torch.inference_mode()
def infer_level_maps(
    model: torch.nn.Module,
    arrays: SplitArrays,
    device: torch.device,
    batch_size: int = BATCH_SIZE,
    precision: str = "fp32",
    channels_last: bool = False,
) -> torch.Tensor:
    """(N, K, S, S) float32 maps 1 − cos(f_E^k, f_D^k), upsampled to the image size, on CPU.

    The forward runs at ``precision`` (rd4ad/machine/precision.py); the maps are computed in float32."""
    model.eval()
    size = arrays.images.shape[-1]
    out = []
    for start in range(0, len(arrays.images), batch_size):
        batch = arrays.images[start : start + batch_size].to(device, non_blocking=True)
        x = to_model_input(batch, arrays.normalize, channels_last=channels_last)
        with autocast(precision, device):
            feats_e, feats_d = model(x)
        maps = level_maps([f.float() for f in feats_e], [f.float() for f in feats_d], size)
        out.append(maps.float().cpu())
    return torch.cat(out)
