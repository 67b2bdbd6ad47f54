"""Gaussian smoothing of anomaly maps (σ = 4), on the maps' device, equal to scipy's ``gaussian_filter``:
at the border either scipy's ``reflect`` (the public code) or kornia's (anomalib's), which is scipy's ``mirror``.
Always in float32 with TF32 off (a tf32 run's network runs in TF32, its smoothing does not)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from rd4ad.files.errors import RD4ADError
from rd4ad.machine.precision import tf32_as


def gaussian_kernel1d(sigma: float, truncate: float = 4.0) -> torch.Tensor:
    """The float64 kernel of ``scipy.ndimage.gaussian_filter`` (radius ``int(truncate·σ + 0.5)``).

    Its weights come from Python's ``math.exp``, the same on every CPU (``torch.exp`` of a CPU tensor
    goes through MKL's vector math library, whose results depend on the CPU: rd4ad/machine/numerics.py)."""
    if sigma <= 0:
        raise RD4ADError(f"gaussian_smooth: sigma must be > 0 (got {sigma})")
    radius = int(truncate * sigma + 0.5)
    kernel = torch.tensor([math.exp(-0.5 / sigma**2 * x**2) for x in range(-radius, radius + 1)], dtype=torch.float64)
    return kernel / kernel.sum()


def _symmetric_index(n: int, radius: int, device: torch.device) -> torch.Tensor:
    """Indices of scipy's ``reflect`` (half-sample symmetric) extension by ``radius`` on each side, any n."""
    i = torch.arange(-radius, n + radius, device=device) % (2 * n)
    return torch.where(i >= n, 2 * n - 1 - i, i)


def _mirror_index(n: int, radius: int, device: torch.device) -> torch.Tensor:
    """Indices of the whole-sample symmetric extension (the edge pixel not repeated: scipy's ``mirror``,
    torch's and kornia's ``reflect``) by ``radius`` on each side, any n (a single pixel repeats itself)."""
    if n == 1:
        return torch.zeros(1 + 2 * radius, dtype=torch.long, device=device)
    i = torch.arange(-radius, n + radius, device=device) % (2 * n - 2)
    return torch.where(i >= n, 2 * n - 2 - i, i)


BORDER_INDEX = {"scipy": _symmetric_index, "kornia": _mirror_index}


def _smooth_last_dim(x: torch.Tensor, kernel: torch.Tensor, border: str) -> torch.Tensor:
    radius = (len(kernel) - 1) // 2
    rows = x.reshape(-1, 1, x.shape[-1])
    padded = rows.index_select(-1, BORDER_INDEX[border](x.shape[-1], radius, x.device))
    with tf32_as("fp32"):  # in float32 whatever the run's precision, as scipy's filter
        return F.conv1d(padded, kernel.view(1, 1, -1)).reshape(x.shape)


def gaussian_smooth(
    maps: torch.Tensor, sigma: float = 4.0, truncate: float = 4.0, *, border: str = "scipy"
) -> torch.Tensor:
    """Smooth (B, H, W) maps per image with σ = ``sigma`` (paper Sec. 4.1 and the public code: σ = 4).

    Separable convolution with scipy's kernel; ``border="scipy"``: its ``mode="reflect"`` border, so the
    result equals ``scipy.ndimage.gaussian_filter(map, sigma)`` for each map, for any map size;
    ``border="kornia"``: anomalib's (kornia's ``reflect``), equal to ``gaussian_filter(..., mode="mirror")``.
    """
    if border not in BORDER_INDEX:
        raise RD4ADError(f"gaussian_smooth: border must be one of {', '.join(BORDER_INDEX)} (got {border!r})")
    if maps.ndim != 3:
        raise RD4ADError(f"gaussian_smooth: expected maps of shape (B, H, W), got {tuple(maps.shape)}")
    if not maps.is_floating_point():
        raise RD4ADError(f"gaussian_smooth: expected floating-point maps, got {maps.dtype}")
    kernel = gaussian_kernel1d(sigma, truncate).to(device=maps.device, dtype=maps.dtype)
    along_w = _smooth_last_dim(maps, kernel, border)
    return _smooth_last_dim(along_w.transpose(1, 2), kernel, border).transpose(1, 2)
