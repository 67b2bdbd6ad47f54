"""Gaussian smoothing of anomaly maps (σ = 4), on the maps' device, equal to scipy's ``gaussian_filter``."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from rd4ad.files.errors import RD4ADError


def gaussian_kernel1d(sigma: float, truncate: float = 4.0) -> torch.Tensor:
    """The float64 kernel of ``scipy.ndimage.gaussian_filter`` (radius ``int(truncate·σ + 0.5)``)."""
    if sigma <= 0:
        raise RD4ADError(f"gaussian_smooth: sigma must be > 0 (got {sigma})")
    radius = int(truncate * sigma + 0.5)
    x = torch.arange(-radius, radius + 1, dtype=torch.float64)
    kernel = torch.exp(-0.5 / sigma**2 * x**2)
    return kernel / kernel.sum()


def _symmetric_index(n: int, radius: int, device: torch.device) -> torch.Tensor:
    """Indices of scipy's ``reflect`` (half-sample symmetric) extension by ``radius`` on each side, any n."""
    i = torch.arange(-radius, n + radius, device=device) % (2 * n)
    return torch.where(i >= n, 2 * n - 1 - i, i)


def _smooth_last_dim(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    radius = (len(kernel) - 1) // 2
    rows = x.reshape(-1, 1, x.shape[-1])
    padded = rows.index_select(-1, _symmetric_index(x.shape[-1], radius, x.device))
    return F.conv1d(padded, kernel.view(1, 1, -1)).reshape(x.shape)


def gaussian_smooth(maps: torch.Tensor, sigma: float = 4.0, truncate: float = 4.0) -> torch.Tensor:
    """Smooth (B, H, W) maps per image with σ = ``sigma`` (paper Sec. 4.1 and the public code: σ = 4).

    Separable convolution with scipy's kernel and its ``mode="reflect"`` border, so the result
    equals ``scipy.ndimage.gaussian_filter(map, sigma)`` for each map, for any map size.
    """
    if maps.ndim != 3:
        raise RD4ADError(f"gaussian_smooth: expected maps of shape (B, H, W), got {tuple(maps.shape)}")
    if not maps.is_floating_point():
        raise RD4ADError(f"gaussian_smooth: expected floating-point maps, got {maps.dtype}")
    kernel = gaussian_kernel1d(sigma, truncate).to(device=maps.device, dtype=maps.dtype)
    along_w = _smooth_last_dim(maps, kernel)
    return _smooth_last_dim(along_w.transpose(1, 2), kernel).transpose(1, 2)
