"""Pinned CPU numerics: the same run gives the same bits whatever vector ISA the kernels may use.

Other CPUs are simulated on this one by limiting what the kernel libraries may dispatch to
(``ONEDNN_MAX_CPU_ISA``, ``MKL_ENABLE_INSTRUCTIONS``, ``ATEN_CPU_CAPABILITY``) and by another
thread count. Native numerics change under those limits (that is what broke the CI drift
check between machines); pinned numerics must not.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest
import torch

from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.files.io import load_checkpoint
from rd4ad.machine.numerics import PINNED_ENV, cpu_vector_isa

AVX2_CPU = {"ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}
AVX512_CPU = {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE", "OMP_NUM_THREADS": "2"}
DRIVER = (
    "import sys; from rd4ad.cli import main; args = sys.argv[1:]; cut = args.index('--then'); "
    "sys.exit(main(args[:cut]) or main(args[cut + 1:]))"
)


@pytest.fixture(scope="module")
def nut(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth") / "mvtec"
    from rd4ad.cli import main

    assert (
        main(
            [
                "synth",
                "--out",
                str(root),
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
        )
        == 0
    )
    return root


def _train_and_evaluate(nut, results, numerics: str, simulated_cpu: dict) -> tuple[str, dict]:
    """Digest of the trained student weights and the metrics of one tiny run in a fresh process."""
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
        teacher_weights="random",
    )
    execution = ["--results", str(results), "--device", "cpu", "--cpu-numerics", numerics]
    train = ["train", "--run-json", json.dumps(run.to_dict()), *execution]
    evaluate = ["evaluate", "--run", str(run.key), *execution]
    out = RunFolder(results, run.key)
    env = {k: v for k, v in os.environ.items() if k not in (*AVX2_CPU, *AVX512_CPU, *PINNED_ENV)}
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, *train, "--then", *evaluate],
        env={**env, **simulated_cpu},
        capture_output=True,
        text=True,
        timeout=1800,
    )  # a hang guard
    assert proc.returncode == 0, proc.stderr[-2000:]
    student = load_checkpoint(out.model)["student"]
    digest = hashlib.sha256(b"".join(student[k].numpy().tobytes() for k in sorted(student))).hexdigest()
    metrics = json.loads(out.metrics.read_text())
    return digest, metrics


def test_pinned_numerics_are_identical_across_simulated_cpus(nut, tmp_path):
    runs = {
        name: _train_and_evaluate(nut, tmp_path / name, "pinned", cpu)
        for name, cpu in (("native_isa", {}), ("avx2_cpu", AVX2_CPU), ("avx512_2threads", AVX512_CPU))
    }
    digests = {name: digest for name, (digest, _) in runs.items()}
    assert len(set(digests.values())) == 1, digests
    levels = [metrics["levels"] for _, metrics in runs.values()]
    assert levels[0] == levels[1] == levels[2]
    assert 0.0 < levels[0]["M1+2+3"]["pixel_auroc"] < 1.0
    record = runs["avx2_cpu"][1]["numerics"]["evaluate"]
    assert record["cpu_numerics"] == "pinned" and record["aten_capability"] == "AVX2"
    assert record["mkldnn"] is False and record["nnpack"] is False and record["threads"] == 1
    assert record["env"]["MKL_CBWR"] == "COMPATIBLE" and record["env"]["ONEDNN_MAX_CPU_ISA"] == "AVX2"
    assert runs["avx2_cpu"][1]["numerics"]["train"]["cpu_numerics"] == "pinned"


@pytest.mark.skipif("avx512f" not in cpu_vector_isa(), reason="simulating an AVX2-only CPU needs an AVX-512 one")
def test_native_numerics_change_with_the_vector_isa(nut, tmp_path):
    """The simulation is real: without pinning, limiting oneDNN to AVX2 changes the trained weights."""
    native, _ = _train_and_evaluate(nut, tmp_path / "native", "native", {})
    avx2, _ = _train_and_evaluate(nut, tmp_path / "avx2", "native", AVX2_CPU)
    assert native != avx2


def test_pinned_settings_reach_torch():
    """What ``pin_cpu_numerics`` changes in a process (run in a fresh one: torch reads them once)."""
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
