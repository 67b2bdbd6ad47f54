"""MVTec LOCO's logical and structural anomalies scored apart (each with the good test images)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rd4ad.data.arrays import SplitArrays
from rd4ad.evaluation.anomaly_types import per_kind


def arrays():
    defects = ["good", "good", "logical_anomalies", "structural_anomalies", "structural_anomalies"]
    labels = np.array([d != "good" for d in defects], dtype=np.int64)
    masks = np.zeros((5, 4, 4), np.uint8)
    masks[2:, 1:3, 1:3] = 1
    images = torch.zeros((5, 3, 4, 4), dtype=torch.uint8)
    return SplitArrays(images, labels, masks, [f"test/{d}/{k}" for k, d in enumerate(defects)], defects, True)


def test_each_kind_is_scored_with_the_good_images_only():
    maps = np.zeros((5, 4, 4))
    maps[2:, 1:3, 1:3] = 1.0
    scores = np.array([0.2, 0.6, 0.9, 0.1, 0.5])  # logical above both goods; structural below one, between
    kinds = per_kind("loco", arrays(), maps, scores)
    assert list(kinds) == ["logical_anomalies", "structural_anomalies"]
    assert kinds["logical_anomalies"]["image_auroc"] == pytest.approx(1.0)
    assert kinds["structural_anomalies"]["image_auroc"] == pytest.approx(0.25)  # 1 of 4 pairs ordered right
    assert kinds["logical_anomalies"]["pro"] == pytest.approx(1.0) and "pro_public" not in kinds["logical_anomalies"]


def test_other_loaders_have_no_kinds():
    assert per_kind("mvtec", arrays(), np.zeros((5, 4, 4)), np.zeros(5)) == {}
