"""MVTec LOCO's logical and structural anomalies scored apart (each with the good test images)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from replicas import loco_replica

from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.data.arrays import SplitArrays
from rd4ad.evaluation.anomaly_types import per_kind
from rd4ad.implementations.evaluate import evaluate_run
from rd4ad.scoring import HEADLINE
from rd4ad.training.loop import train_run

CPU = torch.device("cpu")


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


def test_a_loco_run_reports_the_kinds_apart_and_together(tmp_path):
    root = loco_replica(tmp_path / "loco")
    run = RunConfig(
        dataset="loco",
        category="pushpins",
        variant="tiny",
        seed=1,
        loader="loco",
        data_root=str(root),
        protocol={},
        demo=True,
        backbone="resnet18",
        teacher_weights="random",
        image_size=32,
        epochs=1,
        lr=0.005,
        batch_size=2,
    )
    folder = RunFolder(tmp_path / "results", run.key)
    train_run(run, folder, CPU)
    result = evaluate_run(folder, CPU)
    assert sorted(result["anomaly_kinds"]) == ["logical_anomalies", "structural_anomalies"]
    together = result["levels"][HEADLINE]
    assert {"image_auroc", "pixel_auroc", "pro", "pro_public", "pro_anomalib22"} <= set(together)
    for kind in result["anomaly_kinds"].values():
        assert set(kind) == {"image_auroc", "pixel_auroc", "pro"} and 0 <= kind["image_auroc"] <= 1
