"""Estimate what the planned runs will cost on this machine, before running them.

Times a few training steps and one inference pass of every distinct run shape in the plan (backbone ×
image size × batch × precision × implementation) on --device with synthetic tensors (no data, no
weights), multiplies them by each run's epochs and its dataset's train / test sizes, and prints per
table and in total: runs, device-hours, and the wall hours of --gpus GPUs × the config's jobs_per_gpu
jobs perfectly packed. Writes each run's estimate into <results>/plan.json, where the SLURM profile's
time limits (runtime × the config's runtime.safety_factor) and the report read it. On CPU the shapes
are timed with one thread, as the workflow's train / evaluate jobs run. --compare RESULTS also prints
the seconds the rules' benchmark files recorded there, per table, beside the estimate.

Examples:
  python -m rd4ad estimate --configfile config/config.yaml
  python -m rd4ad estimate --configfile config/demo.yaml --compare results/demo
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from rd4ad.cli._arguments import device_name, positive_int
from rd4ad.planning.planner import plan_config_file


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
        "--compare",
        metavar="RESULTS",
        default=None,
        help="a results folder of this config's runs: print their benchmark seconds beside",
    )
    parser.add_argument("--no-write", action="store_true", help="do not write the estimates into the plan")


def _hours(frame: pd.DataFrame) -> str:
    return frame.to_string(float_format=lambda v: f"{v:.3f}")


def run(args: argparse.Namespace) -> int:
    import torch

    from rd4ad.cost.actual import actual_seconds
    from rd4ad.cost.estimate import plan_estimates, summary
    from rd4ad.cost.shape import RunShape
    from rd4ad.cost.timing import job_start_seconds, time_shape
    from rd4ad.machine.device import resolve_device
    from rd4ad.machine.numerics import apply_cpu_numerics

    plan = plan_config_file(args.config)
    device = resolve_device(args.device)
    if device.type == "cpu":
        apply_cpu_numerics(plan.config["cpu_numerics"])  # as the jobs run (pinned: oneDNN off)
        torch.set_num_threads(1)  # the train / evaluate rules run their jobs with OMP_NUM_THREADS=1
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} thread)"
    shapes = sorted({RunShape.of(p.run) for p in plan.runs.values()})
    timings = {}
    for shape in shapes:
        timings[shape] = time_shape(shape, device, steps=args.steps)
        print(
            f"{shape}: {timings[shape].step_s:.3f} s/step, {timings[shape].infer_s_per_image * 1e3:.1f} ms/image "
            f"inference",
            file=sys.stderr,
        )
    estimates = plan_estimates(plan, timings, job_start_seconds(), device=name)
    gpus = args.gpus or max(1, torch.cuda.device_count())
    slots = gpus * plan.config["jobs_per_gpu"]
    table = summary(plan, estimates, slots=slots)
    print(
        f"estimate on {name}: {len(shapes)} run shapes, {len(plan.runs)} runs; wall for {gpus} GPU(s) × "
        f"jobs_per_gpu {plan.config['jobs_per_gpu']} = {slots} concurrent jobs"
    )
    if args.compare:
        actual = actual_seconds(plan, args.compare)
        measured = summary(plan, actual, slots=slots)[["runs", "device_hours"]]
        table = table.join(measured, rsuffix="_actual")
        table["error_%"] = 100 * (table["device_hours"] / table["device_hours_actual"] - 1)
    print(_hours(table))
    if not args.no_write:
        print(f"estimates written into {plan.with_estimates(estimates).write()}")
    return 0
