"""Benchmark: evaluation time of one MVTec category after inference.

``rd4ad.evaluation.levels.evaluate_maps`` on a test set of MVTec's largest size (screw:
160 images, default) at 256 px: for each of the 5 level subsets of Table 7 the Gaussian
smoothing, image AUROC, pixel AUROC, exact AUPRO and the public per-image PRO audit. Maps and
masks come from ``bench_pro.make_data`` (blob masks on two thirds of the images). Inference
is not included: see ``bench_infer.py`` (batch 1) — batched inference is far cheaper per image.
Run: ``python benchmarks/bench_eval.py [--n 160] [--size 256]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from bench_pro import make_data

from rd4ad.data import SplitArrays
from rd4ad.evaluation.complexity import device_name
from rd4ad.evaluation.levels import evaluate_maps
from rd4ad.machine.device import resolve_device
from rd4ad.scoring import HEADLINE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=160)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--device", default="auto", help="where the Gaussian smoothing runs")
    args = parser.parse_args()
    device = resolve_device(args.device)
    masks, maps = make_data(args.n, args.size, seed=0)
    levels = torch.from_numpy(np.stack([maps, maps**2, np.sqrt(maps)], axis=1))
    labels = (masks.reshape(args.n, -1).max(axis=1) > 0).astype(np.int64)
    arrays = SplitArrays(
        torch.zeros((args.n, 3, 1, 1), dtype=torch.uint8),
        labels,
        masks,
        [str(i) for i in range(args.n)],
        ["x" if y else "good" for y in labels],
        normalize=True,
    )
    start = time.perf_counter()
    metrics, _, _ = evaluate_maps(levels, arrays, "max", device)
    seconds = time.perf_counter() - start
    print(
        f"{device_name(device)}: {args.n} test images {args.size}px, {int(labels.sum())} anomalous, "
        f"5 level subsets × (image AUROC, pixel AUROC, exact AUPRO, public PRO): {seconds:.1f} s"
    )
    print(f"headline {HEADLINE}: " + ", ".join(f"{k}={v:.4f}" for k, v in metrics[HEADLINE].items()))


if __name__ == "__main__":
    main()
