"""What each planned run will cost: its shape's timings (rd4ad/cost/timing.py) × its epochs and data sizes.

A train job costs the job's start (interpreter and imports, measured once per job kind), building the
model, ``epochs × ceil(n_train / batch)`` training steps, one inference pass over the training images
for a ``random_calibrated`` teacher (its BatchNorm calibration) and, for an audited run
(``eval_every``), one pass over the test images every ``eval_every`` epochs. An evaluate job costs
its start, the model, the calibration again and one pass over the test images. The split sizes are
rd4ad/data/sizes.py's. Table 3's complexity jobs and the data downloads are not counted.
"""

from __future__ import annotations

import math

import pandas as pd

from rd4ad.contract.run import RunConfig
from rd4ad.cost.runtime import run_digest
from rd4ad.cost.shape import RunShape, ShapeTiming
from rd4ad.data.sizes import split_sizes
from rd4ad.models.teachers import resolve_teacher
from rd4ad.planning.plan import Plan

JOBS = ("train", "evaluate")


def run_sizes(plan: Plan, run: RunConfig) -> tuple[int, int]:
    """(train, test) images of ``run`` (its dataset entry's source, synth flags and protocol)."""
    entry = plan.datasets[run.dataset]
    return split_sizes(
        run.loader, run.category, source=entry["source"], synth=entry.get("synth"), protocol=run.protocol
    )


def run_estimate(
    run: RunConfig, sizes: tuple[int, int], timing: ShapeTiming, start_s: dict[str, float], *, device: str
) -> dict:
    """The estimate of one run's train and evaluate jobs (seconds), as the plan stores it."""
    n_train, n_test = sizes
    steps = math.ceil(n_train / run.batch_size) * run.epochs
    calibration = n_train * timing.infer_s_per_image if resolve_teacher(run.teacher_weights).calibrated else 0.0
    audits = run.epochs // run.eval_every if run.eval_every else 0
    fixed = timing.build_s + calibration
    train = start_s["train"] + fixed + steps * timing.step_s + audits * n_test * timing.infer_s_per_image
    evaluate = start_s["evaluate"] + fixed + n_test * timing.infer_s_per_image
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
    plan: Plan, timings: dict[RunShape, ShapeTiming], start_s: dict[str, float], *, device: str
) -> dict[str, dict]:
    """Run key → ``run_estimate`` for every planned run (``timings`` must hold every run's shape)."""
    return {
        key: run_estimate(p.run, run_sizes(plan, p.run), timings[RunShape.of(p.run)], start_s, device=device)
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


def summary(plan: Plan, seconds: dict[str, dict[str, float]], *, slots: int) -> pd.DataFrame:
    """Per table and in total (each run once): runs, device-hours, and the wall hours of ``slots``
    concurrent jobs (GPUs × jobs_per_gpu) if they were packed perfectly, never under the longest run."""
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
