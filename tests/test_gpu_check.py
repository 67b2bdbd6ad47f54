"""benchmarks/gpu_check.sh, the prepared check for the first GPU, runs on the CPU in its dry mode under the import
guard, so that it can neither rot nor come to need a package the GPU machine lacks; the guard refuses those
packages; a step that runs out of time is recorded and the rest go on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rd4ad.cost.shape import RunShape
from rd4ad.planning.planner import plan_config_file

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import gpu_check  # noqa: E402  (benchmarks/ is no package)


def _records(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / gpu_check.RECORDS).read_text().splitlines()]


@pytest.mark.slow
def test_the_gpu_check_runs_dry_under_the_import_guard(tmp_path):
    tic = time.perf_counter()
    done = subprocess.run(
        ["bash", "benchmarks/gpu_check.sh", "--dry", "--out", str(tmp_path), "--deadline", "600"],
        cwd=REPO,
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    seconds = time.perf_counter() - tic
    log = (tmp_path / gpu_check.LOG).read_text()
    assert done.returncode == 0, done.stdout[-3000:] + log[-3000:]
    records = _records(tmp_path)
    assert [(r["step"], r["status"]) for r in records if "status" in r] == [(s, "ok") for s in gpu_check.STEPS]
    assert "import guard" not in log  # nothing the check ran tried a package the GPU machine lacks
    by_step = {s: [r for r in records if r["step"] == s and "status" not in r] for s in gpu_check.STEPS}
    assert all(by_step.values()), {s: len(r) for s, r in by_step.items()}
    assert all(r["ok"] for r in by_step["cpu_vs_gpu"]) and by_step["determinism"][0]["identical"]
    paper = {str(RunShape.of(p.run)) for p in plan_config_file(REPO / "config" / "config.yaml").runs.values()}
    assert {r["shape"] for r in by_step["shapes"]} == paper
    assert all(r["images_per_s"] > 0 and r["tflops"] > 0 for r in by_step["shapes"])
    assert by_step["jobs_per_gpu"][0]["gain"] > 0 and by_step["eval_cpu"][0]["seconds"] > 0
    estimate = (tmp_path / "estimate.txt").read_text()
    assert estimate.startswith("estimate on cpu (dry run):") and estimate.splitlines()[-1].startswith("total")
    assert estimate.strip() in done.stdout  # printed whole
    lines = done.stdout.splitlines()
    assert [line.split("]")[0][1:] for line in lines if line.startswith("[")] == list(gpu_check.STEPS)
    print(f"dry check: {seconds:.0f} s")


def test_a_step_past_its_time_is_recorded_and_the_deadline_skips_the_rest(tmp_path):
    with (tmp_path / "log").open("w") as log:
        gpu_check.run_step("env", True, tmp_path / gpu_check.RECORDS, 0.05, log)
    assert _records(tmp_path)[-1]["status"] == "timed out after 0 s"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "gpu_check.py"), "--dry", "--out", str(tmp_path), "--deadline", "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert [r["status"] for r in _records(tmp_path)] == ["skipped: deadline"] * len(gpu_check.STEPS)


@pytest.mark.parametrize("package", ["jsonschema", "snakemake"])
def test_the_import_guard_refuses_what_the_gpu_machine_lacks(package, tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(f"import torch, yaml, rd4ad.cost.estimate\nimport {package}\n")
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "import_guard.py"), str(probe)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert f"ModuleNotFoundError: import guard: {package} ({package}) is not on the GPU machine" in done.stderr


def test_the_machine_package_list_holds_torch_and_none_of_what_the_machine_lacks():
    import import_guard

    packages = import_guard.machine_packages()
    assert {"torch", "torchvision", "numpy", "pandas", "pyyaml", "scikit-learn", "scipy"} <= packages
    assert not packages & {"jsonschema", "snakemake", "anomalib", "kornia"}
