"""Pinned CPU numerics, checked on one machine: what a pinned run computes does not depend on the
kernels the CPU would choose.

A tiny pinned run (synthetic nut, ResNet18 teacher with calibrated BatchNorm, train then evaluate)
is made in fresh processes under simulated CPUs: every library that picks its kernels by CPU is
limited here to what an older or smaller CPU offers (oneDNN's ISA, MKL's instructions, numpy's
dispatched SIMD targets, ATen's capability, the thread count). Each stage's digest (training
split, teacher, student, test split, maps) and every metric must be bit-identical across them;
oneDNN must execute no primitive, every MKL call must be a BLAS call in its CPU-independent (CNR
COMPATIBLE) branch, and no function of MKL's vector math library (VML) may be called: its kernels
start from the approximate rsqrtps/rcpps, whose results differ between Intel and AMD CPUs, and
MKL_CBWR does not reach them (a preloaded shim, tests/native/vml_spy.c, names each VML function a
process calls). The same measurement with the teacher's calibration moved back to the unpinned
path (oneDNN on, two threads), or with torch's default Adam (square root through VML), fails,
which shows the checks can see such an escape.

What one machine cannot simulate is another vendor's CPU running the same kernels (the drift check
compares bits across machines: rd4ad/drift.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rd4ad.contract.fingerprints import STAGES
from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.machine.numerics import KERNEL_ENV, PINNED_ENV

NUMPY_TARGETS = (
    "import numpy._core._multiarray_umath as m; "
    "print(' '.join(f for f in m.__cpu_dispatch__ if m.__cpu_features__.get(f)))"
)
VML_SPY = Path(__file__).parent / "native" / "vml_spy.c"
# train then evaluate in one process; with --unpin-calibration the teacher's BatchNorm calibration runs
# with oneDNN on and two threads, as an unpinned process would run it; with --unpin-adam training uses
# torch's default Adam.
DRIVER = """
import sys
args = sys.argv[1:]
if args[0] == "--unpin-adam":
    args = args[1:]
    import rd4ad.training.loop as loop
    loop.exact_optimizer = lambda optimizer, mode: optimizer
if args[0] == "--unpin-calibration":
    args = args[1:]
    import torch
    import rd4ad.models.weights as weights
    pinned = weights.calibrate_batchnorm

    def unpinned(*a, **k):
        torch.backends.mkldnn.enabled = True
        torch.set_num_threads(2)
        try:
            return pinned(*a, **k)
        finally:
            torch.backends.mkldnn.enabled = False
            torch.set_num_threads(1)

    weights.calibrate_batchnorm = unpinned
from rd4ad.cli import main
cut = args.index("--then")
sys.exit(main(args[:cut]) or main(args[cut + 1:]))
"""
VERBOSE = {"ONEDNN_VERBOSE": "1", "MKL_VERBOSE": "1"}
ONEDNN_EXEC = re.compile(r"^onednn_verbose,.*,exec,", re.M)
MKL_CALL = re.compile(r"^MKL_VERBOSE (?!oneMKL)(\w+)\(.*$", re.M)
VML_CALL = re.compile(r"^vml_spy: (\w+)$", re.M)


def _numpy_targets() -> str:
    """numpy's dispatched SIMD targets that this CPU runs (all of them disabled: numpy's baseline kernels)."""
    return subprocess.run([sys.executable, "-c", NUMPY_TARGETS], capture_output=True, text=True, check=True).stdout


def simulated_cpus() -> dict[str, dict[str, str]]:
    """This CPU as it is, an AVX2-class CPU, and an SSE4-class one, as the kernel libraries see them."""
    older = {"ATEN_CPU_CAPABILITY": "default", "OMP_NUM_THREADS": "2"}
    return {
        "as_is": {},
        "avx2_class": {
            **older,
            "ONEDNN_MAX_CPU_ISA": "AVX2",
            "MKL_ENABLE_INSTRUCTIONS": "AVX2",
            "NPY_DISABLE_CPU_FEATURES": " ".join(t for t in _numpy_targets().split() if t != "X86_V3"),
        },
        "sse4_class": {
            **older,
            "ONEDNN_MAX_CPU_ISA": "SSE41",
            "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
            "NPY_DISABLE_CPU_FEATURES": _numpy_targets().strip(),
        },
    }


@pytest.fixture(scope="module")
def vml_spy(tmp_path_factory) -> Path:
    """The VML call-naming shim, compiled for this machine (scripts/test.sh installs a C compiler)."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    assert compiler, "no C compiler (cc) to build tests/native/vml_spy.c: apt-get install gcc"
    library = tmp_path_factory.mktemp("vml_spy") / "vml_spy.so"
    subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-o", str(library), str(VML_SPY), "-ldl"], check=True)
    return library


@pytest.fixture(scope="module")
def nut(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth") / "mvtec"
    from rd4ad.cli import main

    synth = [
        "--categories",
        "nut",
        "--image-size",
        "32",
        "--n-train",
        "8",
        "--n-test-good",
        "4",
        "--n-test-defect",
        "2",
    ]
    assert main(["synth", "--out", str(root), *synth]) == 0
    return root


def pinned_run(nut, results, simulated_cpu: dict, vml_spy: Path, *, unpin: str | None = None) -> dict:
    """One tiny pinned run in a fresh process: its stage digests, metrics, numerics record, and what
    oneDNN, MKL and the VML shim logged (the count of executed oneDNN primitives, MKL's calls and their
    CNR modes, the VML functions called). ``unpin``: ``calibration`` or ``adam`` back on the unpinned path."""
    run = RunConfig(
        dataset="mvtec",
        category="nut",
        variant="v",
        seed=0,
        loader="mvtec",
        data_root=str(nut),
        protocol={},
        demo=True,
        backbone="resnet18",
        image_size=32,
        epochs=2,
        lr=0.005,
        batch_size=4,
        teacher_weights="random_calibrated",
    )
    execution = ["--results", str(results), "--device", "cpu", "--cpu-numerics", "pinned"]
    train = ["train", "--run-json", json.dumps(run.to_dict()), *execution]
    evaluate = ["evaluate", "--run", str(run.key), *execution]
    unset = (*KERNEL_ENV, *PINNED_ENV, "NPY_DISABLE_CPU_FEATURES", "OMP_NUM_THREADS", *VERBOSE)
    env = {k: v for k, v in os.environ.items() if k not in unset}
    flag = [f"--unpin-{unpin}"] if unpin else []
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, *flag, *train, "--then", *evaluate],
        env={**env, **simulated_cpu, **VERBOSE, "LD_PRELOAD": str(vml_spy)},
        capture_output=True,
        text=True,
        timeout=1800,  # a hang guard
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    metrics = json.loads(RunFolder(results, run.key).metrics.read_text())
    stages = {**metrics["inputs"], **metrics["outputs"]}
    log = proc.stdout + proc.stderr
    return {
        "bits": {"stages": {s: stages[s] for s in STAGES}, "levels": metrics["levels"]},
        "numerics": metrics["numerics"],
        "onednn_primitives": len(ONEDNN_EXEC.findall(log)),
        "mkl_calls": sorted(set(MKL_CALL.findall(log))),
        "mkl_modes": sorted(set(re.findall(r"CNR:(\S+)", log))),
        "vml_calls": sorted(set(VML_CALL.findall(log))),
    }


def test_a_pinned_run_has_the_same_bits_whatever_kernels_the_cpu_offers(nut, vml_spy, tmp_path):
    runs = {name: pinned_run(nut, tmp_path / name, cpu, vml_spy) for name, cpu in simulated_cpus().items()}
    bits = {name: run["bits"] for name, run in runs.items()}
    assert bits["avx2_class"] == bits["as_is"] and bits["sse4_class"] == bits["as_is"], bits
    assert 0.0 < bits["as_is"]["levels"]["M1+2+3"]["pixel_auroc"] < 1.0
    for name, run in runs.items():
        assert run["onednn_primitives"] == 0, f"{name}: oneDNN executed {run['onednn_primitives']} primitives"
        assert run["mkl_calls"] == ["SGEMM"] and run["mkl_modes"] == ["COMPATIBLE"], (name, run["mkl_calls"])
        assert run["vml_calls"] == [], f"{name}: MKL vector math called: {run['vml_calls']}"
        for job in ("train", "evaluate"):
            record = run["numerics"][job]
            assert record["cpu_numerics"] == "pinned" and record["aten_capability"] == "AVX2", (name, job, record)
            assert (record["mkldnn"], record["nnpack"], record["threads"]) == (False, False, 1), (name, job, record)
            assert record["env"]["MKL_CBWR"] == "COMPATIBLE", (name, job, record)


def test_the_checks_see_a_calibration_on_the_unpinned_path(nut, vml_spy, tmp_path):
    """The teacher's calibration run as an unpinned process would run it: oneDNN executes primitives, and
    the teacher (and all after it) changes with the ISA oneDNN may use."""
    cpus = simulated_cpus()
    as_is = pinned_run(nut, tmp_path / "as_is", cpus["as_is"], vml_spy, unpin="calibration")
    sse4 = pinned_run(nut, tmp_path / "sse4", cpus["sse4_class"], vml_spy, unpin="calibration")
    assert as_is["onednn_primitives"] > 0 and sse4["onednn_primitives"] > 0
    assert as_is["bits"]["stages"]["train_data"] == sse4["bits"]["stages"]["train_data"]
    assert as_is["bits"]["stages"]["teacher"] != sse4["bits"]["stages"]["teacher"]
    assert as_is["bits"] != sse4["bits"]


def test_the_checks_see_adam_on_the_unpinned_path(nut, vml_spy, tmp_path):
    """torch's default Adam takes its square root through MKL's vector math: the shim names it."""
    run = pinned_run(nut, tmp_path / "adam", simulated_cpus()["as_is"], vml_spy, unpin="adam")
    assert run["vml_calls"] == ["vmsSqrt"]


def test_pinned_settings_reach_torch():
    """What ``pin_cpu_numerics`` changes in a process (run in a fresh one: torch reads them once)."""
    import torch

    code = (
        "from rd4ad.machine.numerics import apply_cpu_numerics, numerics_record; apply_cpu_numerics('pinned'); "
        "import json; print(json.dumps(numerics_record('pinned')))"
    )
    env = {k: v for k, v in os.environ.items() if k not in PINNED_ENV}
    record = json.loads(
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    )
    assert record["aten_capability"] in ("AVX2", "DEFAULT")  # DEFAULT only on a CPU without AVX2
    assert (record["mkldnn"], record["nnpack"], record["threads"]) == (False, False, 1)
    assert record["torch"] == str(torch.__version__) and record["cpu"]
