"""Scoring (Eq. 3, Table 7): per-level maps, scipy-equal Gaussian smoothing, subsets, image scores."""

import math

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter

from rd4ad.files.errors import RD4ADError
from rd4ad.scoring import LEVEL_SUBSETS, gaussian_smooth, image_scores, level_maps, subset_maps, subset_scores


def _unit_vectors(angles: torch.Tensor) -> torch.Tensor:
    """(1, 2, h, w) features whose direction is ``angles`` (h, w)."""
    return torch.stack([torch.cos(angles), torch.sin(angles)]).unsqueeze(0)


def test_level_subsets_are_table7():
    assert LEVEL_SUBSETS == {"M1": (0,), "M2": (1,), "M3": (2,), "M2+3": (1, 2), "M1+2+3": (0, 1, 2)}


def test_level_maps_identical_features_are_zero_with_expected_shape():
    gen = torch.Generator().manual_seed(0)
    feats = [torch.randn(2, c, s, s, generator=gen) for c, s in ((8, 16), (16, 8), (32, 4))]
    maps = level_maps(feats, [f.clone() for f in feats], 32)
    assert maps.shape == (2, 3, 32, 32)
    assert maps.abs().max().item() < 1e-6


def test_level_maps_is_one_minus_cosine_upsampled_with_align_corners():
    # source map 1 − cos θ = [[0, 1], [1, 2]]; align_corners=True samples at 0, 1/3, 2/3, 1
    angles = torch.tensor([[0.0, math.pi / 2], [math.pi / 2, math.pi]], dtype=torch.float64)
    fe = _unit_vectors(torch.zeros(2, 2, dtype=torch.float64))
    maps = level_maps([fe], [_unit_vectors(angles)], 4)[0, 0]
    expected = torch.tensor([[i / 3 + j / 3 for j in range(4)] for i in range(4)], dtype=torch.float64)
    assert torch.allclose(maps, expected, atol=1e-12)
    assert maps[0, 1].item() == pytest.approx(1 / 3)


def test_level_maps_rejects_mismatched_levels():
    f = torch.zeros(1, 4, 8, 8)
    with pytest.raises(RD4ADError, match="level 0"):
        level_maps([f], [torch.zeros(1, 4, 4, 4)], 16)
    with pytest.raises(RD4ADError, match="levels"):
        level_maps([f, f], [f], 16)


@pytest.mark.parametrize("shape", [(3, 64, 48), (2, 5, 7), (1, 1, 1), (2, 17, 40)])
@pytest.mark.parametrize("sigma", [4.0, 1.5])
@pytest.mark.parametrize("border, mode", [("scipy", "reflect"), ("kornia", "mirror")])
def test_gaussian_smooth_equals_scipy(shape, sigma, border, mode):
    maps = np.random.default_rng(sum(shape)).random(shape).astype(np.float32) * 3
    expected = np.stack([gaussian_filter(m, sigma=sigma, mode=mode) for m in maps])
    got = gaussian_smooth(torch.from_numpy(maps), sigma=sigma, border=border)
    assert got.dtype == torch.float32
    assert np.abs(got.numpy() - expected).max() < 1e-5
    got64 = gaussian_smooth(torch.from_numpy(maps.astype(np.float64)), sigma=sigma, border=border).numpy()
    expected64 = np.stack([gaussian_filter(m, sigma=sigma, mode=mode) for m in maps.astype(np.float64)])
    assert np.abs(got64 - expected64).max() < 1e-12


def test_the_kornia_border_is_anomalib_s_smoothing():
    """anomalib's ReverseDistillation smooths its map with kornia's 33-tap Gaussian, σ = 4, 'reflect' border."""
    kornia = pytest.importorskip("kornia")
    maps = torch.from_numpy(np.random.default_rng(3).random((2, 64, 64)).astype(np.float32))
    theirs = kornia.filters.gaussian_blur2d(maps[:, None], (33, 33), (4.0, 4.0), border_type="reflect")[:, 0]
    assert (gaussian_smooth(maps, 4.0, border="kornia") - theirs).abs().max() < 1e-6
    assert (gaussian_smooth(maps, 4.0, border="scipy") - theirs).abs().max() > 1e-2  # the two borders differ


def test_gaussian_smooth_rejects_bad_input():
    with pytest.raises(RD4ADError, match=r"\(B, H, W\)"):
        gaussian_smooth(torch.zeros(4, 4))
    with pytest.raises(RD4ADError, match="sigma"):
        gaussian_smooth(torch.zeros(1, 4, 4), sigma=0)
    with pytest.raises(RD4ADError, match="border must be one of scipy, kornia"):
        gaussian_smooth(torch.zeros(1, 4, 4), border="wrap")


def test_subset_maps_sum_the_levels_then_smooth_in_batches():
    maps = torch.from_numpy(np.random.default_rng(1).random((5, 3, 20, 20)))
    smoothed = subset_maps(maps, LEVEL_SUBSETS["M2+3"], batch_size=2)
    expected = gaussian_filter(maps[4, 1].numpy() + maps[4, 2].numpy(), sigma=4)
    assert smoothed.shape == (5, 20, 20) and np.abs(smoothed[4].numpy() - expected).max() < 1e-12
    assert torch.equal(subset_maps(maps, (0,))[0], gaussian_smooth(maps[:1, 0])[0])
    with pytest.raises(RD4ADError, match=r"levels \(5,\) are outside 0..2"):
        subset_maps(maps, (5,))


def test_subset_scores_are_the_image_scores_of_the_smoothed_maps():
    maps = torch.from_numpy(np.random.default_rng(2).random((3, 3, 16, 16)))
    smoothed, scores = subset_scores(maps, LEVEL_SUBSETS["M1+2+3"], "sum")
    assert torch.equal(smoothed, subset_maps(maps, (0, 1, 2)))
    assert scores.tolist() == pytest.approx(smoothed.flatten(1).sum(dim=1).tolist())


def test_image_scores_max_and_sum():
    smoothed = torch.tensor([[[0.1, 0.7], [0.2, 0.3]], [[1.0, 0.0], [0.5, 0.5]]])
    assert image_scores(smoothed, "max").tolist() == pytest.approx([0.7, 1.0])
    assert image_scores(smoothed, "sum").tolist() == pytest.approx([1.3, 2.0])
    with pytest.raises(RD4ADError, match="reduce"):
        image_scores(smoothed, "mean")
