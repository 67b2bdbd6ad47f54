"""Evaluate an ``implementation: anomalib`` run: anomalib's raw maps and image scores on the run's test
split, scored by this suite's metrics (the headline subset: anomalib's map is the smoothed sum of all
three levels) and by anomalib's own (``metrics.json`` ``anomalib``)."""

from __future__ import annotations

import numpy as np
import torch

from rd4ad.anomalib_rd.metrics import anomalib_metrics
from rd4ad.anomalib_rd.model import anomalib_outputs, build_anomalib_rd, encoder_digest
from rd4ad.builders.split import load_split
from rd4ad.contract.fingerprints import state_digest
from rd4ad.contract.layout import RunFolder
from rd4ad.evaluation.evaluate import check_teacher, run_of, write_results
from rd4ad.evaluation.inference import BATCH_SIZE
from rd4ad.evaluation.levels import metric_row
from rd4ad.machine.precision import apply_precision
from rd4ad.scoring import HEADLINE


def evaluate_anomalib_run(
    folder: RunFolder,
    ckpt: dict,
    device: torch.device,
    *,
    batch_size: int = BATCH_SIZE,
    cache_dir: str | None = None,
    numerics: str = "native",
    fast_on_cpu: bool = False,
    start: float,
) -> dict:
    """Score anomalib's model ``ckpt`` of ``folder`` and write the run's result files (``start``: when the
    evaluation began; ``fast_on_cpu``: the suite's fast path, which anomalib's model does not take)."""
    run = run_of(ckpt, folder.model)
    apply_precision(f"evaluate {run.key}", run.precision, device)
    module = build_anomalib_rd(run, cache_dir)
    check_teacher(folder.model, run, ckpt["inputs"]["teacher"], encoder_digest(module))
    module.model.load_state_dict(ckpt["anomalib"]["state_dict"])
    arrays = load_split(run, "test", cache_dir)
    maps, image = anomalib_outputs(module, arrays.images, device, batch_size)
    scores = {HEADLINE: image.numpy().astype(np.float64)}
    metrics = {HEADLINE: metric_row(arrays.labels, arrays.masks, maps.numpy(), scores[HEADLINE])}
    own = {
        "version": ckpt["anomalib"]["version"],
        "teacher": ckpt["anomalib"]["teacher"],
        "metrics": anomalib_metrics(arrays.labels, arrays.masks, maps, image),
    }
    trained = {key: ckpt.get(key, {}) for key in ("numerics", "inputs", "hardware")}
    trained["student"] = state_digest(ckpt["anomalib"]["state_dict"])
    return write_results(folder, run, arrays, metrics, scores, maps, trained, device, numerics, start, anomalib=own)
