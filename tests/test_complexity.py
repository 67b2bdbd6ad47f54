"""Table 3 complexity: the timed pipeline is the evaluation's, FLOP counts, the CLI's JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from rd4ad.contract.run import RunConfig
from rd4ad.data import SplitArrays
from rd4ad.evaluation.complexity import device_name, inference_seconds, score_image, training_flops_per_image, weight_mb
from rd4ad.evaluation.inference import infer_level_maps
from rd4ad.evaluation.levels import evaluate_maps
from rd4ad.files.errors import RD4ADError
from rd4ad.models import build_model
from rd4ad.planning.plan import Measurement
from rd4ad.scoring import HEADLINE

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model("resnet18", "random", "pre+oce+mff", "code", "code").eval()


def test_timed_score_is_the_evaluation_score(model):
    images = torch.randint(0, 256, (2, 3, 64, 64), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    arrays = SplitArrays(images, np.array([0, 1]), None, ["a", "b"], ["good", "x"], normalize=True)
    expected = torch.from_numpy(evaluate_maps(infer_level_maps(model, arrays, CPU), arrays, "max", CPU)[1][HEADLINE])
    got = torch.cat([score_image(model, images[i : i + 1]) for i in range(2)]).double()
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_training_flops_scale_with_image_area(model):
    small, large = training_flops_per_image(model, 32, "flat"), training_flops_per_image(model, 64, "flat")
    assert large == 4 * small
    assert 250e6 < small < 350e6  # resnet18 RD4AD: 18.31 GFLOP at 256 px → 0.286 GFLOP at 32 px
    assert not any(p.grad is not None for p in model.parameters())


def test_inference_seconds_rejects_bad_counts(model):
    assert inference_seconds(model, 32, CPU, repeats=2, warmup=0) > 0
    with pytest.raises(RD4ADError, match="repeats >= 1"):
        inference_seconds(model, 32, CPU, repeats=0, warmup=0)


def _measure(tmp_path: Path, device: str) -> dict:
    run = RunConfig(
        dataset="mvtec",
        category="bottle",
        variant="r18",
        seed=0,
        loader="mvtec",
        data_root="",
        protocol={},
        demo=True,
        backbone="resnet18",
        image_size=64,
        epochs=1,
        lr=0.005,
        batch_size=16,
        teacher_weights="random",
    )
    out = tmp_path / "mvtec" / "complexity" / "r18.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rd4ad",
            "complexity",
            "--device",
            device,
            "--results",
            str(tmp_path),
            "--measurement-json",
            json.dumps(Measurement(run, repeats=2, warmup=1).to_dict()),
        ],
        check=True,
        cwd=Path(__file__).parents[1],
        capture_output=True,
    )
    return json.loads(out.read_text())


def test_cli_writes_table3_json_naming_the_cpu(tmp_path):
    result = _measure(tmp_path, "cpu")
    cpu_model = device_name(CPU).rsplit(" (", 1)[0]  # e.g. "AMD EPYC 9B14 (2 threads)" → the model name
    assert result["device_type"] == "cpu" and result["device"].startswith(cpu_model + " (")
    assert result["memory_measure"] == "weights + peak RSS growth of the first inference"
    assert "gpu" not in result, "no GPU figure without a GPU"
    assert {"device", "infer_s", "memory_mb", "batch_size", "image_size", "backbone"} <= set(result)
    assert (result["batch_size"], result["image_size"], result["backbone"]) == (1, 64, "resnet18")
    expected_weights = weight_mb(build_model("resnet18", "random", "pre+oce+mff", "code", "code"))
    assert result["weights_mb"] == round(expected_weights, 1)
    assert expected_weights < result["memory_mb"] < expected_weights + 500
    assert 0 < result["infer_s"] < 30


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cli_times_cpu_and_gpu_on_a_gpu_machine(tmp_path):
    result = _measure(tmp_path, "auto")
    assert result["device_type"] == "cpu" and result["gpu"]["device_type"] == "cuda"
    assert result["gpu"]["device"] == torch.cuda.get_device_name(0)
    assert result["gpu"]["memory_measure"] == "torch.cuda.max_memory_allocated"
