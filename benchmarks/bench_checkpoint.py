"""Benchmark: resume-checkpoint bytes and seconds per run of the paper DAG, every epoch vs by wall time.

For each distinct model of the paper config's variants, one real ``resume.pt`` (student
weights, Adam moments after one step, loss log) is written here with
``rd4ad.training.checkpoints.save_epoch_state``: its size and the seconds the write took on
this machine. Per run, side by side:

- every epoch (the former ``checkpoint_every: 1``): ``epochs − 1`` states, then ``model.pt``;
- by wall time (``checkpoint_minutes``, default 10): one state per full interval of the run's
  training time, then ``model.pt``, whose final-state second name costs no bytes.

A run's training time on a GPU is the H100 ESTIMATE of ``extrapolate.py`` (its stated
assumptions; none was measured here). Run:
``python benchmarks/bench_checkpoint.py --config config/config.yaml [--checkpoint-minutes 10]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
from extrapolate import add_h100_arguments, estimate_seconds, planned_runs, variant_flops

from rd4ad.builders.model import build_model
from rd4ad.models import distillation_loss
from rd4ad.models.teachers import RANDOM_TEACHER
from rd4ad.planning.planner import plan_config_file
from rd4ad.training.checkpoints import CHECKPOINT_MINUTES, save_epoch_state

STATE_KEYS = ["backbone", "bottleneck", "decoder_blocks", "mff_fuse"]  # what the size of a state depends on


def measure_state(run, folder: Path) -> tuple[int, float]:
    """Bytes and seconds of one resume checkpoint of ``run``'s model (Adam moments filled by one step;
    a random teacher: the teacher is not in the checkpoint)."""
    torch.manual_seed(0)
    model = build_model(dataclasses.replace(run, teacher_weights=RANDOM_TEACHER))
    optimizer = torch.optim.Adam(model.trainable_parameters(), lr=run.lr, betas=(0.5, 0.999))
    feats_e, feats_d = model(torch.randn(2, 3, 64, 64))
    distillation_loss(feats_e, feats_d, run.loss).backward()
    optimizer.step()
    losses = [{"epoch": e, "loss": 0.1, "seconds": 1.0} for e in range(1, run.epochs)]
    start = time.perf_counter()
    size = save_epoch_state(folder / "resume.pt", run, {}, {}, run.epochs - 1, model, optimizer, losses, [])
    return size, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config/config.yaml", help="paper run config")
    parser.add_argument("--checkpoint-minutes", type=float, default=CHECKPOINT_MINUTES)
    add_h100_arguments(parser)
    args = parser.parse_args()
    plan = plan_config_file(args.config)
    runs = planned_runs(plan)
    runs["mff_fuse"] = [p.run.mff_fuse for p in plan.runs.values()]
    flops = variant_flops(runs)
    runs["train_s"] = estimate_seconds(
        runs,
        flops,
        args.peak_tflops * 1e12 * args.fraction_of_peak,
        args.step_floor_ms / 1000 / plan.config["jobs_per_gpu"],
    )
    run_of = {p.run.variant: p.run for p in plan.runs.values()}
    with tempfile.TemporaryDirectory(prefix="bench_checkpoint_") as tmp:
        states = {
            key: measure_state(run_of[group["variant"].iloc[0]], Path(tmp)) for key, group in runs.groupby(STATE_KEYS)
        }
    state = runs[STATE_KEYS].apply(tuple, axis=1).map(states)
    runs["state_bytes"], runs["state_s"] = state.str[0], state.str[1]
    interval = 60 * args.checkpoint_minutes
    runs["epoch_n"] = runs["epochs"] - 1
    runs["time_n"] = [
        min(math.floor(t / interval) if interval else e - 1, e - 1) for t, e in zip(runs["train_s"], runs["epochs"])
    ]
    for policy in ("epoch", "time"):
        runs[f"{policy}_gb"] = runs[f"{policy}_n"] * runs["state_bytes"] / 1e9
        runs[f"{policy}_s"] = runs[f"{policy}_n"] * runs["state_s"]

    print(
        f"one resume.pt per model, written on this machine (checkpoint interval {args.checkpoint_minutes:g} min; "
        f"GPU training time per run: H100 ESTIMATE, {args.peak_tflops:g} TFLOP/s × {args.fraction_of_peak:.0%})"
    )
    per_variant = runs.groupby("variant", sort=False).agg(
        runs=("seed", "size"),
        state_mb=("state_bytes", lambda b: b.iloc[0] / 1e6),
        write_s=("state_s", "first"),
        train_min=("train_s", lambda t: t.mean() / 60),
        epoch_n=("epoch_n", "mean"),
        epoch_gb=("epoch_gb", "mean"),
        epoch_s=("epoch_s", "mean"),
        time_n=("time_n", "mean"),
        time_gb=("time_gb", "mean"),
        time_s=("time_s", "mean"),
    )
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.2f}".format):
        print("per run (means over the variant's runs): every epoch (epoch_*) vs by wall time (time_*)")
        print(per_variant)
    print(
        f"whole paper DAG, {len(runs)} runs: every epoch {runs['epoch_gb'].sum() / 1e3:.2f} TB written in "
        f"{runs['epoch_s'].sum() / 3600:.1f} h; by wall time {runs['time_gb'].sum() / 1e3:.3f} TB in "
        f"{runs['time_s'].sum() / 3600:.2f} h"
    )
    if interval:
        worst = runs["state_s"].max()
        print(
            f"by wall time a run spends at most {worst:.2f} s writing per {args.checkpoint_minutes:g} min of "
            f"training ({worst / interval:.2%}), whatever the GPU; a kill loses at most that interval"
        )


if __name__ == "__main__":
    main()
