"""A trained ``implementation: anomalib`` run at test time: anomalib's model rebuilt from ``model.pt``,
its raw maps and scores, and anomalib's own metrics on them (recorded beside this suite's)."""

from __future__ import annotations

import numpy as np
import torch
from anomalib.data import ImageBatch
from anomalib.metrics import AUPRO, AUROC

from rd4ad.anomalib_rd.model import build_anomalib_rd, encoder_digest
from rd4ad.contract.run import RunConfig
from rd4ad.files.errors import RD4ADError


def restore_anomalib_rd(ckpt: dict, run: RunConfig, retrain: str):
    """anomalib's Lightning module with the weights of ``ckpt`` (a ``model.pt`` of
    ``rd4ad.anomalib_rd.train``); a teacher that is not the one trained against raises."""
    module = build_anomalib_rd(run)
    recorded, now = ckpt["inputs"]["teacher"], encoder_digest(module)
    if recorded != now:
        raise RD4ADError(f"run {run.key}: trained against another teacher than the '{run.teacher_weights}' "
                         f"{run.backbone} weights found now (digest {recorded[:12]}…, now {now[:12]}…); "
                         f"put the original teacher weights back, or {retrain}")
    module.model.load_state_dict(ckpt["anomalib"]["state_dict"])
    return module


def anomalib_metrics(labels: np.ndarray, masks: np.ndarray | None, maps: torch.Tensor,
                     scores: torch.Tensor) -> dict[str, float | None]:
    """anomalib's ``AUROC`` of the image scores, and its pixel ``AUROC`` and exact ``AUPRO``
    (FPR limit 0.3) of the maps (None without masks), as fractions."""
    batch = ImageBatch(image=torch.zeros(len(labels), 3, *maps.shape[1:]), gt_label=torch.as_tensor(labels).bool(),
                       pred_score=scores, anomaly_map=maps,
                       gt_mask=None if masks is None else torch.as_tensor(masks).bool())
    out: dict[str, float | None] = {"image_auroc": None, "pixel_auroc": None, "pro": None}
    image = AUROC(fields=["pred_score", "gt_label"])
    image.update(batch)
    out["image_auroc"] = float(image.compute())
    if masks is not None:
        for name, metric in (("pixel_auroc", AUROC(fields=["anomaly_map", "gt_mask"])),
                             ("pro", AUPRO(fields=["anomaly_map", "gt_mask"], fpr_limit=0.3))):
            metric.update(batch)
            out[name] = float(metric.compute())
    return out
