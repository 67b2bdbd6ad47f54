"""Benchmark: anomaly maps in bf16 autocast vs fp32 — how far apart, and how much faster.

The same model (one seed, teacher and student weights shared) scores the same images twice
with ``rd4ad.evaluation.inference.infer_level_maps``: at ``precision="fp32"`` (the paper and the
public code) and at ``"bf16"`` (the paper config's fast path). Printed side by side: seconds
per image of each and their ratio, and the difference of the maps (max and mean |Δ| of the
headline map, relative to the fp32 map's range) and of the image scores. A random teacher by
default (``--teacher`` takes a ``.pth`` state dict). Run:
``python benchmarks/bench_precision.py [--device cuda] [--backbone wide_resnet50_2 --image-size 256]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from rd4ad.data import SplitArrays
from rd4ad.device import resolve_device
from rd4ad.evaluation.inference import infer_level_maps
from rd4ad.models import build_model
from rd4ad.scoring import HEADLINE, LEVEL_SUBSETS, subset_scores


def timed_maps(model, arrays: SplitArrays, device: torch.device, precision: str) -> tuple[torch.Tensor, float]:
    infer_level_maps(model, arrays, device, precision=precision)  # warm-up
    start = time.perf_counter()
    maps = infer_level_maps(model, arrays, device, precision=precision)
    return maps, (time.perf_counter() - start) / len(arrays.images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="resnet18")
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--teacher", default="random", help="teacher weights: random or a .pth state dict")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = resolve_device(args.device)
    torch.manual_seed(0)
    model = build_model(args.backbone, args.teacher, "pre+oce+mff", "code", "code").to(device)
    images = torch.randint(0, 256, (args.images, 3, args.image_size, args.image_size), dtype=torch.uint8,
                           generator=torch.Generator().manual_seed(1))
    arrays = SplitArrays(images, np.zeros(args.images, int), None, [str(i) for i in range(args.images)],
                         ["good"] * args.images, normalize=True)
    fp32, t32 = timed_maps(model, arrays, device, "fp32")
    bf16, t16 = timed_maps(model, arrays, device, "bf16")
    subset = LEVEL_SUBSETS[HEADLINE]
    head32, s32 = subset_scores(fp32, subset, "max")
    head16, s16 = subset_scores(bf16, subset, "max")
    span = float(head32.max() - head32.min())
    delta = (head16 - head32).abs()
    print(f"{args.backbone} at {args.image_size} px, {args.images} images, {device}")
    print(f"fp32 {t32 * 1e3:8.1f} ms/image   bf16 {t16 * 1e3:8.1f} ms/image   ratio fp32/bf16 = {t32 / t16:.2f}x")
    print(f"headline map (Eq. 3, smoothed): max |Δ| {float(delta.max()):.2e} ({float(delta.max()) / span:.2%} of the "
          f"fp32 range {span:.3g}), mean |Δ| {float(delta.mean()):.2e}")
    print(f"image scores: max |Δ| {float((s16 - s32).abs().max()):.2e}; rank correlation "
          f"{np.corrcoef(np.argsort(np.argsort(s32)), np.argsort(np.argsort(s16)))[0, 1]:.4f}")


if __name__ == "__main__":
    main()
