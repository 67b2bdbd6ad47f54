"""Run-shape timings on the CPU in seconds, not minutes: a FLOP model calibrated by one short measurement.

Timing every shape of the paper plan on one CPU thread ran over 20 minutes (a WRN50 step at 256 px, batch
16, takes about 15 s there, after its build and warm-up). Instead, per precision (tf32 is fp32 on a CPU),
the small ``CALIBRATION`` shape is timed at two batches: their difference gives this CPU's training FLOP
rate, the rest the per-step overhead; its inference gives the inference rate. A shape then costs ``overhead
+ batch × train FLOPs / rate`` per step and ``infer FLOPs / inference rate`` per evaluated image (FLOPs:
rd4ad/cost/flops.py). A shape whose modelled step is under ``DIRECT_STEP_S`` is timed directly instead
(there the overhead, which the model knows least, dominates). The teacher's calibration pass (one CPU
thread, whatever the device) costs its FLOPs at the fp32 inference rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from rd4ad.cost.flops import image_flops
from rd4ad.cost.shape import RunShape, ShapeTiming
from rd4ad.cost.timing import time_shape
from rd4ad.implementations.ours import OURS
from rd4ad.models import random_model

CALIBRATION = ("resnet18", 64, (2, 8))  # backbone, image size, the two batches
DIRECT_STEP_S = 0.3


@dataclass(frozen=True)
class CpuRates:
    """One precision's rates on this CPU: per-step overhead (s), training and inference FLOP/s."""

    overhead_s: float
    train_flops_per_s: float
    infer_flops_per_s: float


def cpu_precision(precision: str) -> str:
    """The precision a CPU runs ``precision`` in (TF32 exists on CUDA only)."""
    return "bf16" if precision == "bf16" else "fp32"


def calibrate(precision: str, steps: int = 2) -> CpuRates:
    """``CpuRates`` of ``precision`` from ``CALIBRATION`` timed at its two batches (see the module docstring)."""
    backbone, size, (small, large) = CALIBRATION
    flops = image_flops(backbone, size)
    cpu = torch.device("cpu")
    t_small, t_large = (
        time_shape(RunShape(OURS.name, backbone, size, batch, precision), cpu, steps=steps, cpu_batch=batch)
        for batch in (small, large)
    )
    per_image = max(t_large.step_s - t_small.step_s, 1e-9) / (large - small)
    return CpuRates(
        overhead_s=max(t_small.step_s - small * per_image, 0.0),
        train_flops_per_s=flops["train"] / per_image,
        infer_flops_per_s=flops["infer"] / t_large.infer_s_per_image,
    )


def build_seconds(backbone: str) -> float:
    """Seconds to build the headline model of ``backbone`` (random weights)."""
    tic = time.perf_counter()
    random_model(backbone)
    return time.perf_counter() - tic


def teacher_seconds(shape: RunShape, fp32: CpuRates) -> float:
    """Seconds per image of the teacher's calibration pass of ``shape`` on one CPU thread."""
    return image_flops(shape.backbone, shape.image_size)["teacher"] / fp32.infer_flops_per_s


def modelled_timing(shape: RunShape, rates: CpuRates, fp32: CpuRates, build_s: float) -> ShapeTiming:
    """``shape``'s timings from the FLOP model (``rates`` of its precision; ``fp32`` for the teacher's pass)."""
    flops = image_flops(shape.backbone, shape.image_size)
    return ShapeTiming(
        step_s=rates.overhead_s + shape.batch_size * flops["train"] / rates.train_flops_per_s,
        infer_s_per_image=flops["infer"] / rates.infer_flops_per_s,
        build_s=build_s,
        peak_mb=None,
        calibrate_s_per_image=teacher_seconds(shape, fp32),
    )


def cpu_timings(
    shapes: list[RunShape], steps: int, progress: Callable[[str], None] = lambda _: None
) -> dict[RunShape, ShapeTiming]:
    """Every shape's timings on this CPU, each from the FLOP model or, when cheap, timed (``progress`` is told
    what is measured)."""
    rates: dict[str, CpuRates] = {}
    for precision in sorted({cpu_precision(s.precision) for s in shapes} | {"fp32"}):
        progress(f"calibrating the CPU's {precision} rate on {CALIBRATION[0]} at {CALIBRATION[1]} px")
        rates[precision] = calibrate(precision, steps)
    builds: dict[str, float] = {}
    out = {}
    for i, shape in enumerate(shapes, 1):
        if shape.backbone not in builds:
            builds[shape.backbone] = build_seconds(shape.backbone)
        model = modelled_timing(shape, rates[cpu_precision(shape.precision)], rates["fp32"], builds[shape.backbone])
        if model.step_s < DIRECT_STEP_S:
            progress(f"shape {i}/{len(shapes)} {shape}: timing {steps} steps")
            out[shape] = time_shape(
                shape, torch.device("cpu"), steps=steps, calibrate_s_per_image=model.calibrate_s_per_image
            )
        else:
            progress(f"shape {i}/{len(shapes)} {shape}: FLOP model ({model.step_s:.2f} s/step)")
            out[shape] = model
    return out
