"""benchmarks/gpu_check.sh, the prepared check for the first GPU, runs on the CPU in its dry mode so that it
cannot rot before a GPU meets it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_gpu_check_runs_dry_on_the_cpu(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable}
    done = subprocess.run(
        ["bash", "benchmarks/gpu_check.sh", "--dry", "--out", str(tmp_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads((tmp_path / "gpu_check_cpu.json").read_text())
    assert result["dry"] and result["device"] == "cpu" and result["ok"]
    for step in ("cuda_tests", "bench_train", "estimate"):
        assert result[step]["returncode"] == 0, (step, result[step]["tail"])
    assert set(result["precision_step_s"]) == {"fp32", "tf32", "bf16"}
    assert all(v > 0 for v in result["precision_step_s"].values())
    runs = result["device_vs_cpu"]
    assert 0 <= runs["cpu"]["image_auroc"] <= 1 and runs["max_delta_pp"] == pytest.approx(
        100 * max(abs(runs["device"][m] - runs["cpu"][m]) for m in ("image_auroc", "pixel_auroc")), abs=1e-3
    )
    summary = (tmp_path / "gpu_check_cpu.md").read_text()
    assert summary.startswith("# GPU check: cpu (dry run)") and "overall: ok" in summary
