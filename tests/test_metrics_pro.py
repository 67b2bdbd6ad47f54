"""Exact AUPRO (MVTec definition) against a brute-force reference, hand cases; the public PRO."""

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter
from skimage import measure
from sklearn.metrics import auc

from rd4ad.files.errors import RD4ADError
from rd4ad.metrics import aupro, label_regions, pro_curve, pro_public


def brute_force_aupro(masks, maps, fpr_limit=0.3):
    """Every distinct threshold, explicit FPR and per-region overlap, trapezoids cut at fpr_limit."""
    regions = [
        (i, region.coords)
        for i, mask in enumerate(masks)
        for region in measure.regionprops(measure.label(mask, connectivity=2))
    ]
    normal = masks == 0
    points = [(0.0, 0.0)]
    for t in np.unique(maps)[::-1]:
        above = maps >= t
        fpr = above[normal].sum() / normal.sum()
        pro = np.mean([above[i][c[:, 0], c[:, 1]].mean() for i, c in regions])
        points.append((fpr, pro))
    area = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 >= fpr_limit:
            break
        if x1 > fpr_limit:
            y1 = y0 + (y1 - y0) * (fpr_limit - x0) / (x1 - x0)
            x1 = fpr_limit
        area += (x1 - x0) * (y0 + y1) / 2
    return area / fpr_limit


def public_compute_pro(masks, amaps, num_th=200):
    """Line-by-line port of the public code's ``compute_pro`` (pandas rows replaced by a list)."""
    rows = []
    binary_amaps = np.zeros_like(amaps, dtype=bool)
    min_th, max_th = amaps.min(), amaps.max()
    delta = (max_th - min_th) / num_th
    for th in np.arange(min_th, max_th, delta):
        binary_amaps[amaps <= th] = 0
        binary_amaps[amaps > th] = 1
        pros = []
        for binary_amap, mask in zip(binary_amaps, masks):
            for region in measure.regionprops(measure.label(mask)):
                tp_pixels = binary_amap[region.coords[:, 0], region.coords[:, 1]].sum()
                pros.append(tp_pixels / region.area)
        inverse_masks = 1 - masks
        fpr = np.logical_and(inverse_masks, binary_amaps).sum() / inverse_masks.sum()
        rows.append((np.mean(pros), fpr))
    pro, fpr = np.array(rows).T
    keep = fpr < 0.3
    return auc(fpr[keep] / fpr[keep].max(), pro[keep])


def random_case(seed, n=4, size=14, levels=None):
    """Blob masks (first image normal) and noisy maps higher on the blobs; quantised → many ties."""
    rng = np.random.default_rng(seed)
    masks = (gaussian_filter(rng.random((n, size, size)), (0, 1.5, 1.5)) > 0.53).astype(np.uint8)
    masks[0] = 0
    maps = rng.random(masks.shape) + 0.6 * masks
    if levels is not None:
        maps = np.round(maps * levels) / levels
    return masks, maps


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("levels", [None, 8, 25])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_aupro_equals_brute_force(seed, levels, dtype):
    masks, maps = random_case(seed, levels=levels)
    maps = maps.astype(dtype)
    assert masks[1:].any() and label_regions(masks)[1] >= 2
    assert aupro(masks, maps) == pytest.approx(brute_force_aupro(masks, maps), abs=1e-9)
    assert aupro(masks, maps, fpr_limit=0.05) == pytest.approx(brute_force_aupro(masks, maps, 0.05), abs=1e-9)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_aupro_negative_scores_and_signed_zeros(dtype):
    masks, maps = random_case(11, levels=4)
    maps = (maps - 0.5).astype(dtype)
    maps[maps == 0] = -0.0
    maps[1, 0, :3] = [0.0, -0.0, 0.0]
    assert aupro(masks, maps) == pytest.approx(brute_force_aupro(masks, maps), abs=1e-9)
    assert aupro(masks, maps, fpr_limit=1.0) == pytest.approx(brute_force_aupro(masks, maps, 1.0), abs=1e-9)


def test_aupro_perfect_and_inverted_separation():
    masks, maps = random_case(5)
    assert aupro(masks, maps + 10 * masks) == pytest.approx(1.0)
    assert aupro(masks, maps - 10 * masks) == pytest.approx(0.0)


def test_aupro_two_image_hand_case():
    # normals: 0.8, 0.1, 0.2 | 0.3, 0.7, 0.4 (6 pixels); regions R1 = {0.9}, R2 = {0.6}.
    # curve: (0,0) (0,.5)@.9 (1/6,.5)@.8 (1/3,.5)@.7 (1/3,1)@.6 (1/2,1)@.4 ...
    # limit 0.3: area = .5·.3 → 0.5;  limit 0.5: .5·(1/3) + 1·(1/6) = 1/3 → 2/3.
    masks = np.array([[[1, 0], [0, 0]], [[0, 0], [0, 1]]], dtype=np.uint8)
    maps = np.array([[[0.9, 0.8], [0.1, 0.2]], [[0.3, 0.7], [0.4, 0.6]]])
    assert aupro(masks, maps) == pytest.approx(0.5)
    assert aupro(masks, maps, fpr_limit=0.5) == pytest.approx(2 / 3)


def test_aupro_ties_enter_together_and_interpolate_at_limit():
    # region {0.9, 0.5}, normals {0.5, 0.3, 0.1}: the tie at 0.5 jumps (0, .5) → (1/3, 1);
    # PRO at FPR .3 = .5 + .5·(.3 / (1/3)) = .95; area .3·(.5 + .95)/2 = .2175 → .725.
    masks = np.array([[[1, 1, 0, 0, 0]]], dtype=np.uint8)
    maps = np.array([[[0.9, 0.5, 0.5, 0.3, 0.1]]])
    assert aupro(masks, maps) == pytest.approx(0.725)


def test_regions_are_8_connected():
    # mask (0,0), (1,1), (1,2): one 8-connected region of 3 (two 4-connected regions of 1 and 2).
    masks = np.zeros((1, 3, 3), dtype=np.uint8)
    masks[0, 0, 0] = masks[0, 1, 1] = masks[0, 1, 2] = 1
    assert label_regions(masks)[1] == 1
    maps = np.array([[[0.9, 0.8, 0.7], [0.6, 0.0, 0.0], [0.5, 0.4, 0.3]]])
    # only (0,0) is found before FPR passes .3 (normals .8 .7 .6 .5 .4 .3): PRO = 1/3 (4-conn: 1/2)
    assert aupro(masks, maps) == pytest.approx(1 / 3)


def test_label_regions_numbers_over_the_whole_set():
    masks = np.zeros((2, 4, 4), dtype=np.uint8)
    masks[0, 0, 0] = masks[0, 3, 3] = masks[1, 1:3, 1:3] = 1
    labels, n = label_regions(masks)
    assert n == 3
    assert sorted(np.unique(labels).tolist()) == [0, 1, 2, 3]
    assert labels[1, 1, 1] == 3


def test_aupro_rejects_degenerate_inputs():
    maps = np.random.default_rng(0).random((2, 4, 4))
    with pytest.raises(RD4ADError, match="no anomalous region"):
        aupro(np.zeros((2, 4, 4)), maps)
    with pytest.raises(RD4ADError, match="no normal pixel"):
        aupro(np.ones((2, 4, 4)), maps)
    with pytest.raises(RD4ADError, match="binary"):
        aupro(np.full((2, 4, 4), 2), maps)
    with pytest.raises(RD4ADError, match=r"\(N, H, W\)"):
        aupro(np.zeros((4, 4)), maps[0])


def test_pro_public_hand_case():
    # image 0 (normal) is ignored. image 1: region {1.0, 0.25}, normals {0.5, 0 ×9}; thresholds
    # k/200: FPR .1 for t < .5 (rescaled to 1), 0 above; PRO 1 for t < .25, .5 above — the only
    # non-zero-width trapezoid is from x = 1 to x = 0 at PRO .5 → 0.5 (exact AUPRO differs).
    # image 2: region {1.0}, same normals → PRO 1 everywhere → 1.0. Mean: 0.75.
    masks = np.zeros((3, 1, 11), dtype=np.uint8)
    maps = np.zeros((3, 1, 11))
    masks[1, 0, :2] = 1
    maps[1, 0, :3] = [1.0, 0.25, 0.5]
    masks[2, 0, 0] = 1
    maps[2, 0, [0, 2]] = [1.0, 0.5]
    maps[0, 0, 0] = 1.0
    assert pro_public(masks, maps) == pytest.approx(0.75)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pro_public_equals_public_code(seed):
    masks, maps = random_case(seed, n=4, size=14)
    expected = np.mean(
        [public_compute_pro(masks[i : i + 1].astype(int), maps[i : i + 1]) for i in range(len(masks)) if masks[i].any()]
    )
    assert pro_public(masks, maps) == pytest.approx(expected, abs=1e-12)


def test_pro_public_rejects_constant_maps():
    masks = np.zeros((1, 4, 4), dtype=np.uint8)
    masks[0, 0, 0] = 1
    with pytest.raises(RD4ADError, match="no anomalous image has a defined PRO"):
        pro_public(masks, np.ones((1, 4, 4)))


def test_full_curve_ends_at_one_and_limit_one_matches_brute_force():
    masks, maps = random_case(7, levels=10)
    fpr, pro = pro_curve(masks, maps)
    assert (fpr[0], pro[0], fpr[-1], pro[-1]) == (0.0, 0.0, 1.0, pytest.approx(1.0))
    assert len(fpr) == np.unique(maps).size + 1
    assert aupro(masks, maps, fpr_limit=1.0) == pytest.approx(brute_force_aupro(masks, maps, 1.0), abs=1e-9)
    cut_fpr, _ = pro_curve(masks, maps, max_fpr=0.3)
    assert cut_fpr[-1] > 0.3 >= cut_fpr[-2]


def test_aupro_rejects_bad_fpr_limit():
    masks, maps = random_case(0)
    for limit in (0.0, 1.5):
        with pytest.raises(RD4ADError, match="FPR limit"):
            aupro(masks, maps, fpr_limit=limit)
