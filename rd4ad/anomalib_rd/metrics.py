"""anomalib's own metrics on the raw maps and scores of an ``implementation: anomalib`` run
(recorded beside this suite's)."""

from __future__ import annotations

import numpy as np
import torch
from anomalib.data import ImageBatch
from anomalib.metrics import AUPRO, AUROC


def anomalib_metrics(
    labels: np.ndarray, masks: np.ndarray | None, maps: torch.Tensor, scores: torch.Tensor
) -> dict[str, float | None]:
    """anomalib's ``AUROC`` of the image scores, and its pixel ``AUROC`` and exact ``AUPRO``
    (FPR limit 0.3) of the maps (None without masks), as fractions."""
    batch = ImageBatch(
        image=torch.zeros(len(labels), 3, *maps.shape[1:]),
        gt_label=torch.as_tensor(labels).bool(),
        pred_score=scores,
        anomaly_map=maps,
        gt_mask=None if masks is None else torch.as_tensor(masks).bool(),
    )
    out: dict[str, float | None] = {"image_auroc": None, "pixel_auroc": None, "pro": None}
    image = AUROC(fields=["pred_score", "gt_label"])
    image.update(batch)
    out["image_auroc"] = float(image.compute())
    if masks is not None:
        for name, metric in (
            ("pixel_auroc", AUROC(fields=["anomaly_map", "gt_mask"])),
            ("pro", AUPRO(fields=["anomaly_map", "gt_mask"], fpr_limit=0.3)),
        ):
            metric.update(batch)
            out[name] = float(metric.compute())
    return out
