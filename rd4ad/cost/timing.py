"""Time one run shape on this machine's device with synthetic tensors: no data, no teacher weights.

A shape is what a training step's cost depends on: backbone × image size × batch × precision ×
implementation (``RunShape``). One warm-up step, then ``steps`` timed training steps (the loop of
rd4ad/training/loop.py: forward under the run's precision, the flat loss, Adam on the student) and
one timed inference pass of the evaluation's batch (rd4ad/evaluation/inference.py). Each time is
the median of ``steps`` repeats, fewer where they would pass ``max_seconds`` (at least one). On CPU a
forward + backward too slow to repeat at the run's batch is timed at ``cpu_batch`` images and scaled
linearly to it (large models and images: their throughput is flat in the batch), the optimizer step,
which does not depend on the batch, apart.
Every implementation's shape is timed on this suite's model, at the precision its implementation is
priced at (``timed_precision``, rd4ad/implementations/: anomalib's ReverseDistillation is the same network,
and its Engine trains in fp32).
"""

from __future__ import annotations

import math
import statistics
import subprocess
import sys
import time

import torch

from rd4ad.cost.shape import RunShape, ShapeTiming
from rd4ad.evaluation.inference import BATCH_SIZE as INFER_BATCH
from rd4ad.machine.fast_path import fast_path
from rd4ad.machine.precision import apply_precision, autocast
from rd4ad.models import distillation_loss, random_model

CPU_BATCH = 2
FULL_BATCH_S = 5.0  # a step this fast, scaled from CPU_BATCH, is timed at the run's batch (small models and
# images are not flat in the batch: their per-step overhead dominates)


def _images(batch: int, size: int, device: torch.device, channels_last: bool) -> torch.Tensor:
    x = torch.rand(batch, 3, size, size, device=device)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _clock(device: torch.device, work, repeats: int, max_seconds: float) -> float:
    """The median of ``repeats`` calls of ``work()`` in seconds, the device synchronised; fewer calls where
    they would pass ``max_seconds`` (at least one)."""
    times: list[float] = []
    while len(times) < repeats and (not times or sum(times) * (1 + 1 / len(times)) <= max_seconds):
        _sync(device)
        tic = time.perf_counter()
        work()
        _sync(device)
        times.append(time.perf_counter() - tic)
    return statistics.median(times)


def time_shape(
    shape: RunShape,
    device: torch.device,
    *,
    steps: int = 2,
    cpu_batch: int = CPU_BATCH,
    fast: bool = True,
    max_seconds: float = math.inf,
    calibrate_s_per_image: float = 0.0,
) -> ShapeTiming:
    """Time ``shape`` on ``device``: see the module docstring. ``calibrate_s_per_image`` is passed through
    (the teacher's calibration runs on the CPU whatever the device: rd4ad/cost/cpu_model.py)."""
    apply_precision(f"estimate {shape}", shape.precision, device)
    torch.manual_seed(0)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    tic = time.perf_counter()
    model = random_model(shape.backbone).to(device)
    channels_last = fast_path(fast, device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.trainable_parameters(), lr=1e-4, betas=(0.5, 0.999), fused=channels_last or None)
    build_s = time.perf_counter() - tic
    model.train()
    batch = shape.batch_size if device.type == "cuda" else min(cpu_batch, shape.batch_size)
    x = _images(batch, shape.image_size, device, channels_last)

    def forward_backward():
        with autocast(shape.precision, device):
            feats_e, feats_d = model(x)
            loss = distillation_loss([f.float() for f in feats_e], [f.float() for f in feats_d], "flat")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()

    forward_backward()
    optimizer.step()  # warm-up: the optimizer state is allocated here
    backward_s = _clock(device, forward_backward, steps, max_seconds)
    if batch < shape.batch_size and backward_s * shape.batch_size / batch < FULL_BATCH_S:  # time the run's batch
        batch, x = shape.batch_size, _images(shape.batch_size, shape.image_size, device, channels_last)
        forward_backward()
        backward_s = _clock(device, forward_backward, steps, max_seconds)
    step_s = backward_s * shape.batch_size / batch + _clock(device, optimizer.step, steps, max_seconds)
    model.eval()
    probe = torch.rand(min(INFER_BATCH, batch), 3, shape.image_size, shape.image_size, device=device)

    def infer():
        with torch.no_grad(), autocast(shape.precision, device):
            model(probe)

    infer()
    infer_s = _clock(device, infer, steps, max_seconds) / len(probe)
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
    return ShapeTiming(step_s, infer_s, build_s, peak, calibrate_s_per_image)


def job_start_seconds() -> dict[str, float]:
    """Seconds a train / evaluate job spends starting: a fresh interpreter importing its command's module
    (torch included), timed once each."""
    out = {}
    for job in ("train", "evaluate"):
        tic = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import rd4ad.cli.{job}"], check=True)
        out[job] = time.perf_counter() - tic
    return out
