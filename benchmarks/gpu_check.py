"""The first-GPU check (run by ``benchmarks/gpu_check.sh``): direct measurements on one GPU, no data or weights.

Steps, in this order, each in its own process under one deadline for the whole check (``--deadline``
seconds); each prints one line as it completes and appends its records (JSON lines) to
``<--out>/gpu_check.jsonl`` at once, so that what finished is there even if the rest is not; a step
that fails or runs out of time is recorded (``status``) and the next one goes on:

1. ``env``: the GPU, driver, CUDA, cuDNN, torch and Python.
2. ``cpu_vs_gpu``: one batch in fp32 with TF32 off on the CPU and the GPU from the same weights: loss and
   features within ``LOSS_RTOL`` / ``FEATURE_RTOL``; then a 20-step loss curve on both (``CURVE_RTOL``).
3. ``determinism``: two deterministic GPU runs of the headline shape compared bit for bit.
4. ``shapes``: every run shape of config/config.yaml timed in the precision and determinism its jobs use:
   ms/step, images/s, achieved TFLOP/s (``torch.utils.flop_counter``), peak GiB.
5. ``fast_vs_plain``: the fast path (channels_last, fused Adam) against the plain one at WRN50-256.
6. ``jobs_per_gpu``: one against two processes on the GPU at WRN50-256 and ResNet18-32 (images/s).
7. ``eval_cpu``: one evaluation's CPU time (metrics and intervals) at 256 px on one thread.
8. ``estimate``: the estimate of config/config.yaml fed from the records above, printed whole (also
   ``<--out>/estimate.txt``).

``--dry``: every step on the CPU at tiny sizes (ResNet18, 32 px, one thread), which is what CI runs under
``import_guard.py`` so that the check cannot come to need what the GPU machine lacks. The steps live in
``gpu_check_steps.py``; this process imports nothing but the standard library.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from import_guard import guarded_python

HERE = Path(__file__).resolve().parent
RECORDS, LOG = "gpu_check.jsonl", "gpu_check.log"
# step → seconds at most on the GPU (the deadline cuts the last ones short; --dry has the deadline alone, its
# speed being the CI machine's); sums to 400
STEPS = {
    "env": 20,
    "cpu_vs_gpu": 60,
    "determinism": 40,
    "shapes": 90,
    "fast_vs_plain": 30,
    "jobs_per_gpu": 70,
    "eval_cpu": 30,
    "estimate": 60,
}


def run_step(name: str, dry: bool, records: Path, budget: float, log) -> None:
    """Run step ``name`` in its own process for at most ``budget`` seconds; append its status record."""
    command = guarded_python() + [str(HERE / "gpu_check_steps.py"), name, "--records", str(records)]
    tic = time.perf_counter()
    child = subprocess.Popen(command + (["--dry"] if dry else []), stderr=log, start_new_session=True)
    try:
        status = "ok" if child.wait(timeout=budget) == 0 else f"failed (exit {child.returncode}: see {LOG})"
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        status = f"timed out after {budget:.0f} s"
    seconds = time.perf_counter() - tic
    with records.open("a") as out:
        out.write(json.dumps({"step": name, "status": status, "seconds": round(seconds, 1)}) + "\n")
    print(f"[{name}] {status} in {seconds:.1f} s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry", action="store_true", help="on the CPU, tiny sizes (what CI runs)")
    parser.add_argument("--out", required=True, help="folder of the records, the log and the estimate")
    parser.add_argument("--deadline", type=float, default=400.0, help="seconds for the whole check (default 400)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / RECORDS).unlink(missing_ok=True)
    end = time.monotonic() + args.deadline
    with (out / LOG).open("a") as log:
        for name, limit in STEPS.items():
            left = end - time.monotonic()
            if left < 5:
                with (out / RECORDS).open("a") as records:
                    records.write(json.dumps({"step": name, "status": "skipped: deadline"}) + "\n")
                print(f"[{name}] skipped: the deadline has passed", flush=True)
                continue
            run_step(name, args.dry, out / RECORDS, left if args.dry else min(limit, left), log)
    statuses = [json.loads(line) for line in (out / RECORDS).read_text().splitlines()]
    return 0 if all(r["status"] == "ok" for r in statuses if "status" in r) else 1


if __name__ == "__main__":
    sys.exit(main())
