"""`python -m rd4ad estimate`: split sizes, the per-run arithmetic, the per-table summary, the plan's
estimates, the SLURM time limit and the benchmark files it is compared with."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import torch

from rd4ad.cli import main
from rd4ad.contract.layout import RunFolder
from rd4ad.cost.actual import actual_seconds
from rd4ad.cost.cpu_model import CpuRates, modelled_timing
from rd4ad.cost.estimate import JobCosts, cost_key, plan_estimates, run_estimate, summary
from rd4ad.cost.evaluation_time import KINDS, evaluation_cost
from rd4ad.cost.flops import image_flops
from rd4ad.cost.runtime import job_minutes, run_digest, stored_estimates
from rd4ad.cost.shape import RunShape, ShapeTiming
from rd4ad.cost.timing import _clock, time_shape
from rd4ad.data.loco import CATEGORIES as LOCO_CATEGORIES
from rd4ad.data.sizes import dataset_megabytes, split_sizes
from rd4ad.data.visa import CATEGORIES as VISA_CATEGORIES
from rd4ad.planning.plan import Plan
from rd4ad.planning.planner import load_yaml, make_plan

REPO = Path(__file__).resolve().parents[1]
TIMING = ShapeTiming(step_s=0.5, infer_s_per_image=0.01, build_s=1.0, peak_mb=None, calibrate_s_per_image=0.02)
START = {"train": 4.0, "evaluate": 6.0}
EVALUATION = {cost_key(k, m): (0.5 if k == "evaluate" else 0.1, 1e-6 if m else 1e-7) for k in KINDS for m in (1, 0)}
COSTS = JobCosts(START, EVALUATION)


@pytest.fixture
def plan(tmp_path):
    raw = {
        **load_yaml(REPO / "config" / "demo.yaml"),
        "tables": str(REPO / "config" / "tables.yaml"),
        "results": str(tmp_path / "results"),
    }
    return make_plan(raw)


def test_split_sizes_published_synthetic_and_digits():
    assert split_sizes("mvtec", "bottle") == (209, 83)
    assert split_sizes("cifar10", "7") == (5000, 10000)
    # 32 training images; 16 good + 8 per defect type (nut: scratch, color, hole)
    assert split_sizes(
        "mvtec", "nut", source="synth", synth={"n_train": 32, "n_test_good": 16, "n_test_defect": 8}
    ) == (32, 40)
    train, test = split_sizes("digits", "0", source="none")
    assert test == 899 and 85 <= train <= 95  # a stratified half of 1797 digits, ~178 zeros
    assert dataset_megabytes("mvtec") > 5000 and dataset_megabytes("digits") == 0


def test_a_run_costs_its_steps_calibration_audits_and_evaluation_cpu_time(plan):
    run = plan.run("mvtec/nut/headline/seed0")  # 40 epochs, batch 16, eval_every 10, random_calibrated
    got = run_estimate(run, (32, 40), TIMING, COSTS, device="cpu")
    steps = 2 * 40
    calibration = 32 * 0.02  # the teacher's pass on one CPU thread, not the device's inference
    pixels = 40 * run.image_size**2  # MVTec has masks: the masked costs
    audit = 40 * 0.01 + 0.1 + 1e-6 * pixels
    assert got["steps"] == steps
    assert got["train_s"] == pytest.approx(4.0 + 1.0 + calibration + steps * 0.5 + 4 * audit, abs=0.01)
    assert got["evaluate_s"] == pytest.approx(6.0 + 1.0 + calibration + 40 * 0.01 + 0.5 + 1e-6 * pixels, abs=0.01)
    assert got["run_digest"] == run_digest(run)


def test_summary_counts_a_shared_run_in_each_table_and_once_in_the_total(plan):
    seconds = {key: {"train_s": 100.0, "evaluate_s": 20.0} for key in plan.runs}
    table = summary(plan, seconds, slots=2)
    assert table.loc["total", "runs"] == len(plan.runs)
    assert table.loc["total", "device_hours"] == pytest.approx(len(plan.runs) * 120 / 3600)
    assert table.loc["total", "wall_hours"] == pytest.approx(len(plan.runs) * 120 / 2 / 3600)
    t1 = [k for k, p in plan.runs.items() if "T1" in p.tables]
    assert table.loc["T1", "runs"] == len(t1) and table.loc["T1", "device_hours"] == pytest.approx(len(t1) / 30)
    many = summary(plan, seconds, slots=1000)
    assert many.loc["total", "wall_hours"] == pytest.approx(120 / 3600)  # never under the longest job


def test_estimates_round_trip_through_the_plan_and_leave_an_unestimated_plan_as_it_was(plan):
    before = plan.to_json()
    assert "estimates" not in json.loads(before)
    timings = {RunShape.of(p.run): TIMING for p in plan.runs.values()}
    estimates = {key: e for key, e in plan_estimates(plan, timings, COSTS, device="cpu").items()}
    plan.with_estimates(estimates).write()
    assert Plan.read(plan.path).estimates == estimates
    assert plan.to_json() == before
    assert stored_estimates(plan.path) == estimates


def test_the_time_limit_is_the_estimate_times_the_safety_factor_else_the_fixed_one(plan):
    run = plan.run("mvtec/nut/headline/seed0")
    runtime = {"safety_factor": 2.0, "train_minutes": 1440, "evaluate_minutes": 120}
    estimates = {str(run.key): {"run_digest": run_digest(run), "train_s": 601.0, "evaluate_s": 30.0}}
    assert job_minutes(run, "train", estimates, runtime) == 21  # 601 s × 2 = 20.03 min → 21
    assert job_minutes(run, "evaluate", estimates, runtime) == 1
    stale = {str(run.key): {**estimates[str(run.key)], "run_digest": "0" * 12}}  # made for another run
    assert job_minutes(run, "train", stale, runtime) == 1440
    assert job_minutes(run, "train", {}, runtime) == 1440


def test_actual_seconds_read_the_rules_benchmark_files(plan):
    key = "mvtec/nut/headline/seed0"
    folder = RunFolder(plan.results, plan.run(key).key)
    folder.path.mkdir(parents=True)
    for job, s in (("train", 68.3), ("evaluate", 11.7)):
        folder.benchmark(job).write_text(f"s\th:m:s\tmax_rss\n{s}\t0:01:08\t1300\n")
    assert actual_seconds(plan) == {key: {"train_s": 68.3, "evaluate_s": 11.7}}


def test_a_shape_is_timed_on_synthetic_tensors():
    timing = time_shape(RunShape("rd4ad", "resnet18", 32, 4, "fp32"), torch.device("cpu"), steps=1)
    assert timing.step_s > 0 and timing.infer_s_per_image > 0 and timing.peak_mb is None


def test_a_timed_loop_stops_at_its_time_bound():
    """Each call takes at least 10 ms whatever the CPU: a 0.1 s bound stops 10 000 repeats after about ten."""
    calls = []
    _clock(torch.device("cpu"), lambda: (calls.append(1), time.sleep(0.01)), repeats=10_000, max_seconds=0.1)
    assert 1 <= len(calls) <= 11


def test_flops_are_counted_on_the_meta_device_and_scale_with_the_pixels():
    small, large = image_flops("resnet18", 32), image_flops("resnet18", 64)
    assert small["teacher"] < small["infer"] < small["train"]
    assert large["train"] == pytest.approx(4 * small["train"], rel=0.05)


def test_the_flop_model_adds_the_per_step_overhead_to_the_batch_s_flops():
    shape = RunShape("rd4ad", "wide_resnet50_2", 256, 16, "tf32")
    flops = image_flops("wide_resnet50_2", 256)
    rates = CpuRates(overhead_s=0.25, train_flops_per_s=1e10, infer_flops_per_s=2e10)
    timing = modelled_timing(shape, rates, rates, build_s=1.0)
    assert timing.step_s == pytest.approx(0.25 + 16 * flops["train"] / 1e10)
    assert timing.calibrate_s_per_image == pytest.approx(flops["teacher"] / 2e10)


def test_the_evaluation_cost_is_measured_per_pixel_and_masks_cost_more():
    cost = evaluation_cost(n_images=4, sizes=(32, 64))
    assert set(cost) == {cost_key(k, m) for k in KINDS for m in (True, False)}
    assert all(fixed >= 0 and per_pixel >= 0 for fixed, per_pixel in cost.values())
    assert sum(cost[cost_key("evaluate", True)]) > sum(cost[cost_key("evaluate", False)])


@pytest.mark.slow
def test_the_paper_plan_is_estimated_on_the_cpu_in_about_a_minute_with_progress(capsys):
    config = str(REPO / "config" / "config.yaml")
    assert main(["estimate", "--configfile", config, "--device", "cpu", "--no-write"]) == 0
    out, err = capsys.readouterr()
    progress = err.splitlines()
    assert progress[0].startswith("estimate: calibrating the CPU's") and "FLOP model" in err
    assert sum(line.startswith("estimate: shape ") for line in progress) == 7  # one line per run shape
    assert out.startswith("estimate on cpu (1 thread): 7 run shapes, 555 runs") and "\ntotal " in out
    assert re.search(r"\nbeyond +75 ", out)  # VisA, MVTec LOCO and MVTec AD 2: 25 categories × 3 seeds


def test_visa_sizes_add_up_to_its_published_totals():
    sizes = [split_sizes("visa", c) for c in VISA_CATEGORIES]
    assert sum(t + s for t, s in sizes) == 9621 + 1200  # normal + anomalous images
    assert sum(s for _, s in sizes) - 12 * 100 == 962  # the 1cls split's normal test images


def test_mvtec_loco_sizes_add_up_to_its_published_totals():
    sizes = [split_sizes("loco", c) for c in LOCO_CATEGORIES]
    assert sum(t for t, _ in sizes) == 1778  # training images (validation, 305, is not trained on)
    assert sum(t for _, t in sizes) == 575 + 561 + 432  # good, logical, structural test images
