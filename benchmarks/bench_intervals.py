"""Benchmark: a run's test-set bootstrap intervals vs the metrics its evaluation computes anyway.

Data: paper size, 160 seeded 256×256 test images (110 with blob defects, as the MVTec test set of
a category has ~70 % anomalous images), noisy maps raised on the defects; image scores the map
maxima. Side by side in one process: the intervals (image AUROC, pixel AUROC, AUPRO; 1 000
resamples; ``rd4ad.evaluation.intervals.headline_intervals``) and what ``evaluate`` computes for the
metrics alone (``rd4ad.evaluation.levels``: image AUROC, pixel AUROC, exact AUPRO and the public PRO
for each of the five level subsets of Table 7) — inference excluded, so the ratio printed is an
upper bound on the intervals' share of one evaluation. Run: ``python benchmarks/bench_intervals.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

from rd4ad.data import SplitArrays
from rd4ad.evaluation.intervals import headline_intervals
from rd4ad.metrics import aupro, image_auroc, pixel_auroc, pro_public
from rd4ad.scoring import LEVEL_SUBSETS


def make_split(n: int, n_defect: int, size: int, seed: int) -> tuple[SplitArrays, np.ndarray, torch.Tensor]:
    """A test split with blob masks, its smoothed maps and image scores."""
    rng = np.random.default_rng(seed)
    masks = (gaussian_filter(rng.random((n, size, size)), (0, 16, 16)) > 0.51).astype(np.uint8)
    masks[n_defect:] = 0
    maps = gaussian_filter(rng.random((n, size, size)) + 0.12 * masks, (0, 4, 4)).astype(np.float32)
    labels = masks.reshape(n, -1).any(1).astype(np.int64)
    arrays = SplitArrays(
        images=torch.zeros((n, 3, 1, 1), dtype=torch.uint8),
        labels=labels,
        masks=masks,
        names=[f"test/x/{i:03d}" for i in range(n)],
        defects=["blob" if y else "good" for y in labels],
        normalize=True,
    )
    return arrays, maps.reshape(n, -1).max(1).astype(np.float64), torch.from_numpy(maps)


def metrics_of_one_evaluation(arrays: SplitArrays, scores: np.ndarray, maps: torch.Tensor) -> None:
    m = maps.numpy()
    for _ in LEVEL_SUBSETS:
        image_auroc(arrays.labels, scores)
        pixel_auroc(arrays.masks, m)
        aupro(arrays.masks, m)
        pro_public(arrays.masks, m)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=160)
    parser.add_argument("--defects", type=int, default=110)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    arrays, scores, maps = make_split(args.n, args.defects, args.size, seed=0)
    start = time.perf_counter()
    intervals = headline_intervals(arrays, scores, maps)
    t_intervals = time.perf_counter() - start
    start = time.perf_counter()
    metrics_of_one_evaluation(arrays, scores, maps)
    t_metrics = time.perf_counter() - start
    print(f"{args.n} test images of {args.size} px ({args.defects} with defects), {torch.get_num_threads()} threads")
    for metric in ("image_auroc", "pixel_auroc", "pro"):
        low, high = intervals[metric]
        print(f"  {metric:12s} 95 % interval [{low:.4f}, {high:.4f}]")
    print(
        f"intervals (1 000 resamples): {t_intervals:.2f} s; the evaluation's metrics (5 level subsets): "
        f"{t_metrics:.2f} s; ratio {t_intervals / t_metrics:.3f}"
    )


if __name__ == "__main__":
    main()
