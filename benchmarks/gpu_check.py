"""The first-GPU check (run by ``benchmarks/gpu_check.sh``): no data or weights needed, about 8 minutes on one GPU.

1. the CUDA-only tests (skipped without a GPU); 2. a tiny run trained and evaluated on the device and on
the CPU with the same seed: image and pixel AUROC within ``TOLERANCE_PP`` points; 3. the fast path
(channels_last, fused Adam) against the plain path on the device; 4. fp32 / tf32 / bf16 step times of the
paper's headline shape; 5. ``benchmarks/bench_train.py`` (the public code's loop vs ours); 6. ``python -m
rd4ad estimate`` of config/config.yaml. Writes ``gpu_check_<device>.json`` and ``.md`` into --out.
``--dry``: on the CPU at tiny sizes (what CI runs, so that the script cannot rot).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.cost.shape import RunShape
from rd4ad.cost.timing import time_shape
from rd4ad.data.synth import SynthConfig, generate
from rd4ad.evaluation.evaluate import evaluate_run
from rd4ad.machine.device import resolve_device
from rd4ad.training.loop import train_run

REPO = Path(__file__).resolve().parents[1]
TOLERANCE_PP = 2.0  # device vs CPU, same seed: float rounding and kernel choice only
CUDA_TESTS = [
    "tests/test_complexity.py::test_cli_times_cpu_and_gpu_on_a_gpu_machine",
    "tests/test_fast_path.py::test_gpu_fast_path_matches_public_loop_within_half_a_point",
]
SIZES = {
    False: {"image_size": 64, "epochs": 5, "n_train": 32, "shape": ("wide_resnet50_2", 256, 16), "steps": 5},
    True: {"image_size": 32, "epochs": 1, "n_train": 8, "shape": ("resnet18", 32, 4), "steps": 1},
}


def _shell(command: list[str], timeout: int) -> dict:
    tic = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)
    return {
        "command": " ".join(command),
        "returncode": done.returncode,
        "seconds": round(time.perf_counter() - tic, 1),
        "tail": (done.stdout + done.stderr).strip().splitlines()[-12:],
    }


def _tiny_run(work: Path, sizes: dict, device: torch.device, *, fast: bool, name: str) -> dict:
    """Train and evaluate the tiny run on ``device``: its headline metrics and training seconds."""
    root = work / "synth"
    if not root.exists():
        generate(
            root,
            SynthConfig(
                image_size=sizes["image_size"],
                n_train=sizes["n_train"],
                n_test_good=4,
                n_test_defect=2,
                categories=("nut",),
            ),
        )
    run = RunConfig(
        dataset="mvtec",
        category="nut",
        variant="check",
        seed=111,
        loader="mvtec",
        data_root=str(root),
        protocol={},
        demo=True,
        backbone="resnet18",
        image_size=sizes["image_size"],
        epochs=sizes["epochs"],
        lr=0.005,
        batch_size=8,
        teacher_weights="random",
        fast=fast,
    )
    folder = RunFolder(work / name, run.key)
    tic = time.perf_counter()
    train_run(run, folder, device, cache_dir=str(work / "cache"), checkpoint_minutes=60, fast_on_cpu=fast)
    seconds = time.perf_counter() - tic
    result = evaluate_run(folder, device, cache_dir=str(work / "cache"), fast_on_cpu=fast)
    metrics = result["levels"][result["headline"]]
    return {"train_s": round(seconds, 2), "image_auroc": metrics["image_auroc"], "pixel_auroc": metrics["pixel_auroc"]}


def _agree(a: dict, b: dict) -> dict:
    worst = max(abs(a[k] - b[k]) * 100 for k in ("image_auroc", "pixel_auroc"))
    return {"max_delta_pp": round(worst, 3), "tolerance_pp": TOLERANCE_PP, "ok": worst <= TOLERANCE_PP}


def check(device: torch.device, dry: bool, work: Path) -> dict:
    sizes = SIZES[dry]
    out = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "dry": dry,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
    }
    out["cuda_tests"] = _shell([sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", *CUDA_TESTS], 300)
    here = _tiny_run(work, sizes, device, fast=True, name="device")
    cpu = _tiny_run(work, sizes, torch.device("cpu"), fast=False, name="cpu")
    out["device_vs_cpu"] = {"device": here, "cpu": cpu, **_agree(here, cpu)}
    plain = _tiny_run(work, sizes, device, fast=False, name="plain")
    out["fast_vs_plain"] = {
        "fast": here,
        "plain": plain,
        "speedup": round(plain["train_s"] / here["train_s"], 2),
        **_agree(here, plain),
    }
    backbone, size, batch = sizes["shape"]
    out["precision_step_s"] = {
        p: round(time_shape(RunShape("rd4ad", backbone, size, batch, p), device, steps=sizes["steps"]).step_s, 4)
        for p in ("fp32", "tf32", "bf16")
    }
    bench = [sys.executable, "benchmarks/bench_train.py", "--device", device.type]
    out["bench_train"] = _shell(bench + (["--image-size", "32", "--n-train", "8", "--epochs", "2"] if dry else []), 300)
    config = "config/ci.yaml" if dry else "config/config.yaml"
    out["estimate"] = _shell(
        [
            sys.executable,
            "-m",
            "rd4ad",
            "estimate",
            "--configfile",
            config,
            "--device",
            device.type,
            "--no-write",
            "--steps",
            str(sizes["steps"]),
        ],
        400,
    )
    agreed = dry or (out["device_vs_cpu"]["ok"] and out["fast_vs_plain"]["ok"])  # dry: too few images to compare
    out["ok"] = agreed and all(out[k]["returncode"] == 0 for k in ("cuda_tests", "bench_train", "estimate"))
    return out


def markdown(result: dict) -> str:
    lines = [
        f"# GPU check: {result['device']}{' (dry run)' if result['dry'] else ''}",
        "",
        f"torch {result['torch']}, CUDA {result['cuda']}; overall: {'ok' if result['ok'] else 'FAILED'}",
        "",
        f"- CUDA tests: exit {result['cuda_tests']['returncode']} ({result['cuda_tests']['tail'][-1:]})",
        f"- device vs CPU, same seed: max |Δ AUROC| {result['device_vs_cpu']['max_delta_pp']} pp "
        f"(tolerance {TOLERANCE_PP})",
        f"- fast vs plain path: {result['fast_vs_plain']['speedup']}x, max |Δ AUROC| "
        f"{result['fast_vs_plain']['max_delta_pp']} pp",
        "- step seconds: " + ", ".join(f"{k} {v}" for k, v in result["precision_step_s"].items()),
        f"- bench_train.py: exit {result['bench_train']['returncode']}",
        "",
        "```",
        *result["bench_train"]["tail"],
        "```",
        "",
        f"- estimate: exit {result['estimate']['returncode']}",
        "",
        "```",
        *result["estimate"]["tail"],
        "```",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry", action="store_true", help="CPU, tiny sizes")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = parser.parse_args()
    device = torch.device("cpu") if args.dry else resolve_device("cuda")
    with tempfile.TemporaryDirectory(prefix="gpu_check_") as work:
        result = check(device, args.dry, Path(work))
    name = "gpu_check_" + re.sub(r"[^A-Za-z0-9]+", "_", result["device"]).strip("_").lower()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / f"{name}.md").write_text(markdown(result))
    print(markdown(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
