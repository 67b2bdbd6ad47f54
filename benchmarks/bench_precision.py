"""Benchmark: anomaly maps in bf16 autocast vs fp32 — how far apart, and how much faster.

The same model (one seed, teacher and student weights shared) scores the same images twice
with ``rd4ad.evaluation.inference.infer_level_maps``: at ``precision="fp32"`` (the paper and the
public code) and at ``"bf16"`` (the paper config's fast path). Printed side by side: seconds
per image of each and their ratio, and the difference of the maps (max and mean |Δ| of the
headline map, relative to the fp32 map's range) and of the image scores. A random teacher by
default (``--teacher`` takes a ``.pth`` state dict).

Then one training epoch on CPU, fp32 and bf16 side by side (``bench_numerics.epoch_seconds``: a fresh
single-threaded ``python -m rd4ad train`` each, epoch 1 not counted), under native and pinned CPU
numerics, and, on a CPU with native bf16, once more with the CPU limited to AVX2 as on most laptops
(``ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2``): where bf16 is emulated, its ratio shows it.
Run: ``python benchmarks/bench_precision.py [--device cuda] [--backbone wide_resnet50_2 --image-size 256]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from bench_numerics import epoch_seconds

from rd4ad.data import SplitArrays
from rd4ad.data.synth import SynthConfig, generate
from rd4ad.evaluation.inference import infer_level_maps
from rd4ad.machine.device import resolve_device
from rd4ad.machine.numerics import CPU_NUMERICS
from rd4ad.models import build_model
from rd4ad.scoring import HEADLINE, LEVEL_SUBSETS, subset_scores


def timed_maps(model, arrays: SplitArrays, device: torch.device, precision: str) -> tuple[torch.Tensor, float]:
    infer_level_maps(model, arrays, device, precision=precision)  # warm-up
    start = time.perf_counter()
    maps = infer_level_maps(model, arrays, device, precision=precision)
    return maps, (time.perf_counter() - start) / len(arrays.images)


AVX2_ONLY = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}


def bf16_is_native(env: dict) -> bool:
    """What ``rd4ad.machine.precision.bf16_native`` sees on CPU in a process with ``env``."""
    code = "import torch; from rd4ad.machine.precision import bf16_native; print(bf16_native(torch.device('cpu')))"
    done = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True, check=True
    )
    return done.stdout.strip() == "True"


def training_ratios(backbone: str, image_size: int, n_train: int = 16, epochs: int = 3) -> None:
    """One training epoch, fp32 vs bf16, per CPU numerics mode and ISA (see the module docstring)."""
    isas = {"native ISA": {}} | ({"AVX2 only": AVX2_ONLY} if bf16_is_native({}) else {})
    with tempfile.TemporaryDirectory() as tmp:
        data = generate(
            Path(tmp) / "data",
            SynthConfig(image_size=image_size, categories=("nut",), n_train=n_train, n_test_good=1, n_test_defect=1),
        )
        print(f"training seconds per epoch, {backbone}, {n_train} images of {image_size} px, batch 8, 1 thread, CPU")
        for isa, env in isas.items():
            for numerics in CPU_NUMERICS:
                seconds = {
                    p: epoch_seconds(
                        data,
                        Path(tmp) / f"{isa[:3]}_{numerics}_{p}",
                        backbone,
                        image_size,
                        epochs,
                        numerics,
                        precision=p,
                        env=env,
                    )
                    for p in ("fp32", "bf16")
                }
                print(
                    f"{isa:>10}, {numerics:>6} numerics: fp32 {seconds['fp32']:7.3f} s   bf16 {seconds['bf16']:7.3f} s"
                    f"   bf16 / fp32 = {seconds['bf16'] / seconds['fp32']:.2f}x   (native bf16 kernels: "
                    f"{bf16_is_native(env) and numerics == 'native'})"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="resnet18")
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--teacher", default="random", help="teacher weights: random or a .pth state dict")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--train-backbone", default="resnet18", help="backbone of the training-epoch comparison")
    parser.add_argument("--train-image-size", type=int, default=64)
    args = parser.parse_args()
    device = resolve_device(args.device)
    torch.manual_seed(0)
    model = build_model(args.backbone, args.teacher, "pre+oce+mff", "code", "code").to(device)
    images = torch.randint(
        0,
        256,
        (args.images, 3, args.image_size, args.image_size),
        dtype=torch.uint8,
        generator=torch.Generator().manual_seed(1),
    )
    arrays = SplitArrays(
        images,
        np.zeros(args.images, int),
        None,
        [str(i) for i in range(args.images)],
        ["good"] * args.images,
        normalize=True,
    )
    fp32, t32 = timed_maps(model, arrays, device, "fp32")
    bf16, t16 = timed_maps(model, arrays, device, "bf16")
    subset = LEVEL_SUBSETS[HEADLINE]
    head32, s32 = subset_scores(fp32, subset, "max")
    head16, s16 = subset_scores(bf16, subset, "max")
    span = float(head32.max() - head32.min())
    delta = (head16 - head32).abs()
    print(f"{args.backbone} at {args.image_size} px, {args.images} images, {device}")
    print(f"fp32 {t32 * 1e3:8.1f} ms/image   bf16 {t16 * 1e3:8.1f} ms/image   ratio fp32/bf16 = {t32 / t16:.2f}x")
    print(
        f"headline map (Eq. 3, smoothed): max |Δ| {float(delta.max()):.2e} ({float(delta.max()) / span:.2%} of the "
        f"fp32 range {span:.3g}), mean |Δ| {float(delta.mean()):.2e}"
    )
    print(
        f"image scores: max |Δ| {float((s16 - s32).abs().max()):.2e}; rank correlation "
        f"{np.corrcoef(np.argsort(np.argsort(s32)), np.argsort(np.argsort(s16)))[0, 1]:.4f}"
    )
    training_ratios(args.train_backbone, args.train_image_size)


if __name__ == "__main__":
    main()
