"""Where bf16 autocast is emulated, a job says so in one line naming the run."""

import subprocess
import sys

import torch
import torch.nn.functional as F

from rd4ad.machine.precision import apply_precision, bf16_native, emulated_bf16_warning
from rd4ad.scoring.smoothing import gaussian_smooth

CPU = torch.device("cpu")


def test_no_warning_for_fp32_or_native_bf16():
    assert emulated_bf16_warning("train mvtec/nut/x/seed0", "fp32", CPU) is None
    if bf16_native(CPU):
        assert emulated_bf16_warning("train mvtec/nut/x/seed0", "bf16", CPU) is None


def test_pinned_numerics_emulate_bf16_and_say_so():
    enabled = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False  # what pinned CPU numerics do
    try:
        assert not bf16_native(CPU)
        line = emulated_bf16_warning("train mvtec/nut/bf16/seed0", "bf16", CPU)
    finally:
        torch.backends.mkldnn.enabled = enabled
    assert line.startswith(
        "warning: train mvtec/nut/bf16/seed0: precision bf16 is emulated here (oneDNN off: pinned CPU numerics)"
    )
    assert "7-25x the fp32 time" in line and "precision: fp32" in line and "\n" not in line


def test_a_cpu_limited_to_avx2_has_no_native_bf16():
    code = "import torch; from rd4ad.machine.precision import bf16_native; print(bf16_native(torch.device('cpu')))"
    env = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "PATH": ""}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_smoothing_runs_without_tf32_after_a_tf32_run_turned_it_on(monkeypatch):
    seen = []
    conv1d = F.conv1d

    def spy(*args, **kwargs):
        seen.append((torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32))
        return conv1d(*args, **kwargs)

    monkeypatch.setattr(F, "conv1d", spy)
    apply_precision("evaluate x", "tf32", torch.device("cpu"))  # what a tf32 run's evaluation sets for its network
    try:
        gaussian_smooth(torch.rand(2, 16, 16))
        assert seen and set(seen) == {(False, False)}
        assert torch.backends.cudnn.allow_tf32 and torch.backends.cuda.matmul.allow_tf32  # the run's, restored
    finally:
        apply_precision("evaluate x", "fp32", torch.device("cpu"))


def test_apply_precision_sets_tf32_exactly_for_tf32_and_records_it():
    before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    try:
        record = apply_precision("train x", "tf32", torch.device("cpu"))
        assert record["tf32_matmul"] and record["tf32_cudnn"] and record["precision"] == "tf32"
        record = apply_precision("train x", "fp32", torch.device("cpu"))
        assert not (record["tf32_matmul"] or record["tf32_cudnn"])
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before
