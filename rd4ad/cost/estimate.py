"""What each planned run will cost: its shape's timings (rd4ad/cost/timing.py) × its epochs and data sizes.

A train job costs the job's start (interpreter and imports, measured once per job kind), building the
model, ``epochs × ceil(n_train / batch)`` training steps (each with its per-step overhead), a
``random_calibrated`` teacher's BatchNorm calibration (one CPU thread, whatever the device) and, for an
audited run (``eval_every``), one pass over the test images every ``eval_every`` epochs with the headline
subset's metrics. An evaluate job costs its start, the model, the calibration again, one pass over the
test images and the evaluation's CPU time (every level subset's metrics and the intervals:
rd4ad/cost/evaluation_time.py). The split sizes are rd4ad/data/sizes.py's. Table 3's complexity jobs and
the data downloads are not counted. The wall time of ``slots`` jobs at once divides the device time by
the jobs' measured throughput (``summary``), not by their number.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import pandas as pd

from rd4ad.contract.run import RunConfig
from rd4ad.cost.runtime import run_digest
from rd4ad.cost.shape import RunShape, ShapeTiming
from rd4ad.data.sizes import split_sizes
from rd4ad.models.teachers import resolve_teacher
from rd4ad.planning.plan import Plan

JOBS = ("train", "evaluate")
MASKED_LOADERS = ("mvtec", "visa", "loco", "mvtec_ad2", "folder")  # test splits with pixel masks (folder: if given)


class JobCosts(NamedTuple):
    """What a job costs beyond its shape's timings: its start per job kind (interpreter and imports) and the
    evaluation's CPU time (``evaluation_time.evaluation_cost``)."""

    start_s: dict[str, float]
    evaluation: dict[str, tuple[float, float]]


def cost_key(kind: str, masks: bool) -> str:
    """The key of an evaluation cost in ``JobCosts.evaluation`` (JSON-safe: the GPU check stores it)."""
    return f"{kind}/{'masks' if masks else 'no_masks'}"


def metrics_seconds(costs: JobCosts, kind: str, run: RunConfig, n_test: int) -> float:
    """CPU seconds of ``kind`` (evaluate | audit)'s metrics for ``n_test`` maps of ``run``."""
    fixed, per_pixel = costs.evaluation[cost_key(kind, run.loader in MASKED_LOADERS)]
    return fixed + per_pixel * n_test * run.image_size**2


def run_sizes(plan: Plan, run: RunConfig) -> tuple[int, int]:
    """(train, test) images of ``run`` (its dataset entry's source, synth flags and protocol)."""
    entry = plan.datasets[run.dataset]
    return split_sizes(
        run.loader,
        run.category,
        source=entry["source"],
        synth=entry.get("synth"),
        protocol=run.protocol,
        replica=entry.get("replica"),
    )


def run_estimate(run: RunConfig, sizes: tuple[int, int], timing: ShapeTiming, costs: JobCosts, *, device: str) -> dict:
    """The estimate of one run's train and evaluate jobs (seconds), as the plan stores it."""
    n_train, n_test = sizes
    steps = math.ceil(n_train / run.batch_size) * run.epochs
    calibration = n_train * timing.calibrate_s_per_image if resolve_teacher(run.teacher_weights).calibrated else 0.0
    audits = run.epochs // run.eval_every if run.eval_every else 0
    fixed = timing.build_s + calibration
    inference = n_test * timing.infer_s_per_image
    audit = inference + metrics_seconds(costs, "audit", run, n_test)
    train = costs.start_s["train"] + fixed + steps * timing.step_s + audits * audit
    evaluate = costs.start_s["evaluate"] + fixed + inference + metrics_seconds(costs, "evaluate", run, n_test)
    return {
        "run_digest": run_digest(run),
        "shape": str(RunShape.of(run)),
        "device": device,
        "n_train": n_train,
        "n_test": n_test,
        "steps": steps,
        "train_s": round(train, 2),
        "evaluate_s": round(evaluate, 2),
        "peak_mb": None if timing.peak_mb is None else round(timing.peak_mb),
    }


def plan_estimates(
    plan: Plan, timings: dict[RunShape, ShapeTiming], costs: JobCosts, *, device: str
) -> dict[str, dict]:
    """Run key → ``run_estimate`` for every planned run (``timings`` must hold every run's shape)."""
    return {
        key: run_estimate(p.run, run_sizes(plan, p.run), timings[RunShape.of(p.run)], costs, device=device)
        for key, p in plan.runs.items()
    }


def table_of(user: str) -> str:
    """A run's reader as the summary groups it: the table, or ``audit`` for every audit pair."""
    return user.split(":", 1)[0]


def job_seconds(plan: Plan, seconds: dict[str, dict[str, float]]) -> pd.DataFrame:
    """One row per (run, table that reads it): ``train_s``, ``evaluate_s`` from ``seconds`` (run key →
    job → seconds; runs missing there are left out)."""
    rows = [
        {"run": key, "table": table_of(user), **{f"{job}_s": seconds[key][f"{job}_s"] for job in JOBS}}
        for key, p in plan.runs.items()
        if key in seconds
        for user in p.tables
    ]
    return pd.DataFrame(rows, columns=["run", "table", *(f"{job}_s" for job in JOBS)]).drop_duplicates()


def summary(plan: Plan, seconds: dict[str, dict[str, float]], *, slots: float) -> pd.DataFrame:
    """Per table and in total (each run once): runs, device-hours, and the wall hours of jobs packed
    perfectly at ``slots`` jobs' worth of throughput (GPUs × the measured gain of jobs_per_gpu jobs on one
    GPU; CPU cores), never under the longest run."""
    rows = job_seconds(plan, seconds)
    rows["job_s"] = rows["train_s"] + rows["evaluate_s"]
    whole = rows.drop_duplicates("run").assign(table="total")
    out = []
    for table, group in pd.concat([rows, whole]).groupby("table", sort=False):
        device_s = group["job_s"].sum()
        out.append(
            {
                "table": table,
                "runs": len(group),
                "device_hours": device_s / 3600,
                "wall_hours": max(device_s / slots, group["job_s"].max()) / 3600,
            }
        )
    return pd.DataFrame(out).set_index("table")
