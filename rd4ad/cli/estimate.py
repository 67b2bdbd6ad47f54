"""Estimate what the planned runs will cost on this machine, before running them.

Times a few training steps and one inference pass of every distinct run shape in the plan (backbone ×
image size × batch × precision × implementation) on --device with synthetic tensors (no data, no
weights), multiplies them by each run's epochs and its dataset's train / test sizes, adds the jobs'
start, the teacher's calibration and the evaluation's CPU time, and prints per table and in total: runs,
device-hours, and the wall hours of --gpus GPUs at --jobs-gain one job's throughput each (on CPU: one job
per core), perfectly packed. Writes each run's estimate into <results>/plan.json, where the SLURM
profile's time limits (runtime × the config's runtime.safety_factor) and the report read it. On CPU,
with one thread as the workflow's jobs run, shapes too slow to time are priced by a FLOP model calibrated
by one short measurement (rd4ad/cost/cpu_model.py): about a minute on 2 cores; a progress line per step.
--compare RESULTS also prints the seconds the rules' benchmark files recorded there, per table, beside
the estimate.

Examples:
  python -m rd4ad estimate --configfile config/config.yaml
  python -m rd4ad estimate --configfile config/demo.yaml --compare results/demo
"""

from __future__ import annotations

import argparse
import os
import sys

import pandas as pd

from rd4ad.cli._arguments import device_name, positive_int
from rd4ad.cost.actual import actual_seconds
from rd4ad.cost.estimate import JobCosts, plan_estimates, summary
from rd4ad.cost.shape import RunShape
from rd4ad.planning.plan import Plan
from rd4ad.planning.planner import plan_config_file

SHAPE_SECONDS = 10.0  # at most this long per timed loop of one shape on CUDA


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--configfile",
        "--config",
        dest="config",
        required=True,
        help="run config YAML (config/config.yaml, config/demo.yaml, …)",
    )
    parser.add_argument("--device", type=device_name, default="auto", help="auto | cpu | cuda | cuda:N")
    parser.add_argument(
        "--gpus",
        type=positive_int,
        default=None,
        help="GPUs the workflow will use (default: those visible, at least 1)",
    )
    parser.add_argument("--steps", type=positive_int, default=2, help="timed training steps per shape")
    parser.add_argument(
        "--jobs-gain",
        type=float,
        default=1.0,
        help="throughput of jobs_per_gpu jobs sharing one GPU over one job's (benchmarks/gpu_check.sh measures "
        "it; default 1: no gain assumed)",
    )
    parser.add_argument(
        "--compare",
        metavar="RESULTS",
        default=None,
        help="a results folder of this config's runs: print their benchmark seconds beside",
    )
    parser.add_argument("--no-write", action="store_true", help="do not write the estimates into the plan")


def _hours(frame: pd.DataFrame) -> str:
    return frame.to_string(float_format=lambda v: f"{v:.3f}")


def progress(line: str) -> None:
    """One progress line on stderr while the estimate measures."""
    print(f"estimate: {line}", file=sys.stderr, flush=True)


def measure(plan: Plan, device, steps: int) -> tuple[dict, JobCosts]:
    """Every run shape's timings on ``device`` (rd4ad/cost/cpu_model.py on the CPU; each shape timed, at most
    ``SHAPE_SECONDS`` a loop, on CUDA) and the jobs' costs beyond them, measured on this machine."""
    import torch

    from rd4ad.cost.cpu_model import calibrate, cpu_timings, teacher_seconds
    from rd4ad.cost.evaluation_time import evaluation_cost
    from rd4ad.cost.timing import job_start_seconds, time_shape

    shapes = sorted({RunShape.of(p.run) for p in plan.runs.values()})
    if device.type == "cpu":
        timings = cpu_timings(shapes, steps, progress)
    else:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # the teacher's calibration runs on one CPU thread
        fp32 = calibrate("fp32", steps)
        torch.set_num_threads(threads)
        timings = {}
        for i, shape in enumerate(shapes, 1):
            progress(f"shape {i}/{len(shapes)} {shape}: timing {steps} steps")
            timings[shape] = time_shape(
                shape,
                device,
                steps=steps,
                max_seconds=SHAPE_SECONDS,
                calibrate_s_per_image=teacher_seconds(shape, fp32),
            )
    progress("timing the evaluation's metrics and the jobs' start")
    return timings, JobCosts(job_start_seconds(), evaluation_cost())


def report(plan: Plan, estimates: dict, *, name: str, slots: float, at_once: str, compare: str | None) -> str:
    """The estimate as printed: its header line and the per-table summary (beside ``compare``'s benchmarks)."""
    table = summary(plan, estimates, slots=slots)
    shapes = len({e["shape"] for e in estimates.values()})
    lines = [f"estimate on {name}: {shapes} run shapes, {len(plan.runs)} runs; wall for {at_once}"]
    if compare:
        measured = summary(plan, actual_seconds(plan, compare), slots=slots)[["runs", "device_hours"]]
        table = table.join(measured, rsuffix="_actual")
        table["error_%"] = 100 * (table["device_hours"] / table["device_hours_actual"] - 1)
    return "\n".join([*lines, _hours(table)])


def run(args: argparse.Namespace) -> int:
    import torch

    from rd4ad.machine.device import resolve_device
    from rd4ad.machine.numerics import apply_cpu_numerics

    plan = plan_config_file(args.config)
    device = resolve_device(args.device)
    if device.type == "cpu":
        apply_cpu_numerics(plan.config["cpu_numerics"])  # as the jobs run (pinned: oneDNN off)
        torch.set_num_threads(1)  # the train / evaluate rules run their jobs with OMP_NUM_THREADS=1
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} thread)"
    timings, costs = measure(plan, device, args.steps)
    estimates = plan_estimates(plan, timings, costs, device=name)
    if device.type == "cuda":
        gpus, per_gpu = args.gpus or torch.cuda.device_count(), plan.config["jobs_per_gpu"]
        slots = gpus * args.jobs_gain
        at_once = f"{gpus} GPU(s) × jobs_per_gpu {per_gpu} at {args.jobs_gain:g}× one job's throughput per GPU"
    else:
        slots = os.cpu_count() or 1
        at_once = f"{slots} one-thread jobs at once (one per core)"
    print(report(plan, estimates, name=name, slots=slots, at_once=at_once, compare=args.compare))
    if not args.no_write:
        print(f"estimates written into {plan.with_estimates(estimates).write()}")
    return 0
