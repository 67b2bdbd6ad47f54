"""Benchmark: what pinned CPU numerics cost — training seconds per epoch, native vs pinned.

Pinning (``rd4ad/machine/numerics.py``) is process-wide and must precede the first torch computation,
so each mode trains in its own process: the same run (synthetic nut, random teacher, one
intra-op thread as every workflow job has) through ``python -m rd4ad train --cpu-numerics MODE``.
The per-epoch training seconds come from ``loss.csv`` (epoch 1 is the warm-up and not counted).
Prints one line per backbone with both rates and the ratio pinned / native.

Run: ``python benchmarks/bench_numerics.py [--backbones resnet18 wide_resnet50_2] [--image-size 64]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.data.synth import SynthConfig, generate
from rd4ad.machine.numerics import CPU_NUMERICS, PINNED_ENV


def epoch_seconds(
    data: Path,
    results: Path,
    backbone: str,
    image_size: int,
    epochs: int,
    numerics: str,
    precision: str = "fp32",
    env: dict | None = None,
) -> float:
    """Mean training seconds of epochs 2… of one run in a fresh single-threaded process (``env``: extra
    environment variables, e.g. ISA limits)."""
    run = RunConfig(
        dataset="mvtec",
        category="nut",
        variant="bench",
        seed=0,
        loader="mvtec",
        data_root=str(data),
        protocol={},
        demo=True,
        backbone=backbone,
        image_size=image_size,
        epochs=epochs,
        lr=0.005,
        batch_size=8,
        teacher_weights="random",
        precision=precision,
    )
    cmd = [
        sys.executable,
        "-m",
        "rd4ad",
        "train",
        "--run-json",
        json.dumps(run.to_dict()),
        "--results",
        str(results),
        "--device",
        "cpu",
        "--cpu-numerics",
        numerics,
    ]
    env = {k: v for k, v in os.environ.items() if k not in PINNED_ENV} | {"OMP_NUM_THREADS": "1"} | (env or {})
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return float(pd.read_csv(RunFolder(results, run.key).loss)["seconds"].iloc[1:].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbones", nargs="+", default=["resnet18", "wide_resnet50_2"])
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--n-train", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = generate(
            Path(tmp) / "data",
            SynthConfig(
                image_size=args.image_size, categories=("nut",), n_train=args.n_train, n_test_good=1, n_test_defect=1
            ),
        )
        print(f"training seconds per epoch, {args.n_train} images of {args.image_size} px, 1 thread, CPU")
        for backbone in args.backbones:
            seconds = {
                mode: epoch_seconds(
                    data, Path(tmp) / f"{backbone}_{mode}", backbone, args.image_size, args.epochs, mode
                )
                for mode in CPU_NUMERICS
            }
            print(
                f"{backbone:>16}: native {seconds['native']:.3f} s, pinned {seconds['pinned']:.3f} s, "
                f"pinned / native = {seconds['pinned'] / seconds['native']:.2f}x"
            )


if __name__ == "__main__":
    main()
