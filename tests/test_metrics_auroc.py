"""Image and pixel AUROC on hand-checkable cases."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from rd4ad.files.errors import RD4ADError
from rd4ad.metrics import image_auroc, pixel_auroc


def test_image_auroc_hand_case():
    # anomalous 0.35 beats normal 0.1 only; anomalous 0.8 beats both: 3 of 4 pairs
    assert image_auroc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)


def test_image_auroc_counts_ties_as_half():
    assert image_auroc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]) == pytest.approx(0.875)


def test_pixel_auroc_hand_case():
    # the one anomalous pixel (0.9) beats 0.1 and 0.2 but not 0.95
    masks = np.array([[[1, 0], [0, 0]]], dtype=np.uint8)
    maps = np.array([[[0.9, 0.1], [0.95, 0.2]]])
    assert pixel_auroc(masks, maps) == pytest.approx(2 / 3)


def test_single_class_raises():
    with pytest.raises(RD4ADError, match="only one class"):
        image_auroc([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(RD4ADError, match="only one class"):
        pixel_auroc(np.zeros((2, 3, 3)), np.random.default_rng(0).random((2, 3, 3)))


def test_mismatched_shapes_raise():
    with pytest.raises(RD4ADError, match="same shape"):
        pixel_auroc(np.zeros((1, 3, 3)), np.zeros((1, 3, 4)))
    with pytest.raises(RD4ADError, match="2 labels but 3 scores"):
        image_auroc([0, 1], [0.1, 0.2, 0.3])


@pytest.mark.parametrize("decimals", [None, 2])
def test_pixel_auroc_equals_scikit_learn_with_and_without_ties(decimals):
    rng = np.random.default_rng(3)
    masks = (rng.random((6, 40, 40)) < 0.1).astype(np.uint8)
    maps = rng.random((6, 40, 40)).astype(np.float32) + 0.3 * masks
    if decimals is not None:
        maps = maps.round(decimals)  # many ties, across both classes
    expected = roc_auc_score(masks.ravel(), maps.ravel().astype(np.float64))
    assert pixel_auroc(masks, maps) == pytest.approx(expected, abs=1e-12)
    assert pixel_auroc(torch.from_numpy(masks), torch.from_numpy(maps)) == pytest.approx(expected, abs=1e-12)
