"""Where bf16 autocast is emulated, a job says so in one line naming the run."""

import subprocess
import sys

import torch

from rd4ad.machine.precision import apply_precision, bf16_native, emulated_bf16_warning

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


def test_apply_precision_sets_tf32_exactly_for_tf32_and_records_it():
    before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    try:
        record = apply_precision("train x", "tf32", torch.device("cpu"))
        assert record["tf32_matmul"] and record["tf32_cudnn"] and record["precision"] == "tf32"
        record = apply_precision("train x", "fp32", torch.device("cpu"))
        assert not (record["tf32_matmul"] or record["tf32_cudnn"])
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before
