"""Extrapolate the wall time of the Table 1 sweep and of the whole paper DAG from a measured throughput.

Image-steps are counted from the run configuration: for every planned run (each table's
datasets × categories × variant × seed, plus the protocol audit, each run once) the
training-set size × epochs. Costs scale by FLOPs: each variant's FLOPs per training
image-step are counted on its real model (``rd4ad.evaluation.complexity.training_flops_per_image``);
a device that reached ``F`` FLOP/s on the benchmarked variant is assumed to reach ``F`` on
every variant. For the H100 (none measured in this session) the rate is an ASSUMPTION:
``--peak-tflops`` × ``--fraction-of-peak``, with every optimizer step at least
``--step-floor-ms`` long (eager PyTorch launches several hundred kernels per step, which
bounds small models such as ResNet18 at 32 px) per process; the run config's ``jobs_per_gpu``
processes share each GPU and are assumed to overlap their launches (floor ÷ jobs_per_gpu,
FLOP rate unchanged). Evaluation is not included.

Run: ``python benchmarks/extrapolate.py --config config/config.yaml --images-per-second 41
--backbone resnet18 --image-size 128`` (``bench_train.py`` calls :func:`report`).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd
from public_loop import public_code_model

from rd4ad.evaluation.complexity import training_flops_per_image
from rd4ad.files.errors import RD4ADError
from rd4ad.models import build_model
from rd4ad.planning.plan import Plan
from rd4ad.planning.planner import plan_config_file

MVTEC_TRAIN = {
    "carpet": 280,
    "grid": 264,
    "leather": 245,
    "tile": 230,
    "wood": 247,
    "bottle": 209,
    "cable": 224,
    "capsule": 219,
    "hazelnut": 391,
    "metal_nut": 220,
    "pill": 267,
    "screw": 320,
    "toothbrush": 60,
    "transistor": 213,
    "zipper": 240,
}
MNIST_TRAIN = {
    "0": 5923,
    "1": 6742,
    "2": 5958,
    "3": 6131,
    "4": 5842,
    "5": 5421,
    "6": 5918,
    "7": 6265,
    "8": 5851,
    "9": 5949,
}
PER_CLASS_TRAIN = {"fmnist": 6000, "cifar10": 5000}
CALTECH_TRAIN_PER_CATEGORY = 150
MODEL_KEYS = ["backbone", "image_size", "bottleneck", "decoder_blocks", "mff_fuse", "loss"]
VARIANT_KEYS = (*MODEL_KEYS, "epochs", "batch_size")


def train_size(dataset: dict, category: str) -> int:
    """Training images of one run: MVTec category, novelty class, or Caltech-256 repeat (upper bound)."""
    loader = dataset.get("loader")
    if loader == "mvtec" and category in MVTEC_TRAIN:
        return MVTEC_TRAIN[category]
    if loader == "mnist" and category in MNIST_TRAIN:
        return MNIST_TRAIN[category]
    if loader in PER_CLASS_TRAIN:
        return PER_CLASS_TRAIN[loader]
    if loader == "caltech256":
        protocol = dataset["protocol"]
        return protocol.get("n_inlier_categories", 1) * protocol.get("train_per_category", CALTECH_TRAIN_PER_CATEGORY)
    raise RD4ADError(
        f"extrapolate: no known training-set size for loader {loader!r}, category {category!r}; "
        f"extrapolate a paper config (real MVTec, MNIST, F-MNIST, CIFAR-10, Caltech-256)"
    )


def planned_runs(plan: Plan) -> pd.DataFrame:
    """One row per planned run of the DAG: dataset, category, variant, seed, n_train, image_steps,
    steps, audits and the run's model knobs."""
    rows = []
    for run in (p.run for p in plan.runs.values()):
        v = {k: getattr(run, k) for k in VARIANT_KEYS + ("eval_every",)}
        n = train_size(plan.datasets[run.dataset], run.category)
        rows.append(
            {
                "dataset": run.dataset,
                "category": run.category,
                "variant": run.variant,
                "seed": run.seed,
                "n_train": n,
                "image_steps": n * v["epochs"],
                "steps": math.ceil(n / v["batch_size"]) * v["epochs"],
                "audits": v["epochs"] // v["eval_every"] if v["eval_every"] else 0,
                **v,
            }
        )
    return pd.DataFrame(rows)


def variant_flops(runs: pd.DataFrame) -> dict[tuple, int]:
    """FLOPs per training image-step of every distinct model in ``runs`` (counted on the CPU)."""
    flops = {}
    for key, _ in runs.groupby(MODEL_KEYS):
        backbone, image_size, bottleneck, decoder_blocks, mff_fuse, loss = key
        model = build_model(backbone, "random", bottleneck, decoder_blocks, mff_fuse)
        flops[key] = training_flops_per_image(model, int(image_size), loss)
    return flops


def estimate_seconds(
    runs: pd.DataFrame, flops: dict[tuple, int], flop_rate: float, step_floor_s: float = 0.0
) -> pd.Series:
    """Seconds per run: image-steps × FLOPs / rate, each optimizer step at least ``step_floor_s``."""
    per_image = runs.apply(lambda r: flops[tuple(r[k] for k in MODEL_KEYS)], axis=1)
    compute = runs["image_steps"] * per_image / flop_rate
    return pd.concat([compute, runs["steps"] * step_floor_s], axis=1).max(axis=1)


def report(
    config_path: str | Path,
    images_per_second: float,
    bench_flops: int,
    device: str,
    peak_tflops: float,
    fraction: float,
    step_floor_ms: float,
) -> str:
    """Text: image-steps and estimated hours of the T1 sweep (one seed) and the whole DAG."""
    path = Path(config_path)
    if not path.is_file():
        raise RD4ADError(f"{path}: run config not found; pass --config with a paper config (config/config.yaml)")
    plan = plan_config_file(path)
    config = plan.config
    runs = planned_runs(plan)
    flops = variant_flops(runs)
    measured_rate = images_per_second * bench_flops
    h100_rate = peak_tflops * 1e12 * fraction
    runs["measured_s"] = estimate_seconds(runs, flops, measured_rate)
    shares = config["jobs_per_gpu"]
    runs["h100_s"] = estimate_seconds(runs, flops, h100_rate, step_floor_ms / 1000 / shares)
    t1 = runs[(runs["variant"] == "headline") & (runs["dataset"] == "mvtec") & (runs["seed"] == config["seeds"][0])]
    lines = [
        f"achieved on {device}: {measured_rate / 1e12:.3f} TFLOP/s "
        f"({images_per_second:.2f} img/s × {bench_flops / 1e9:.1f} GFLOP per training image-step)",
        f"H100 ASSUMPTION (not measured): {peak_tflops:.0f} TFLOP/s bf16 peak × {fraction:.0%} = "
        f"{h100_rate / 1e12:.0f} TFLOP/s, optimizer step ≥ {step_floor_ms:g} ms per process; "
        f"jobs_per_gpu = {shares} processes share a GPU and overlap their launches (floor ÷ {shares})",
    ]
    for key, value in sorted(flops.items()):
        lines.append(f"  {'/'.join(map(str, key))}: {value / 1e9:.2f} GFLOP per training image-step")
    by_variant = runs.groupby("variant")[["image_steps", "steps", "measured_s", "h100_s"]].sum()
    lines.append(
        "per variant (all seeds): image-steps, optimizer steps, hours on the measured device, H100 hours (estimate)"
    )
    for variant, row in by_variant.iterrows():
        lines.append(
            f"  {variant:16s} {int(row.image_steps):>11,d} {int(row.steps):>10,d} "
            f"{row.measured_s / 3600:>10.1f} {row.h100_s / 3600:>8.2f}"
        )
    for label, part in (
        ("T1 sweep (headline, 15 categories, one seed)", t1),
        (f"whole paper DAG ({len(runs)} runs, seeds {config['seeds']})", runs),
    ):
        lines.append(
            f"{label}: {int(part.image_steps.sum()):,d} image-steps, "
            f"{int(part.audits.sum())} test-set audit evaluations (eval_every, not in the times); "
            f"{part.measured_s.sum() / 3600:.1f} h on {device} (extrapolated); "
            f"{part.h100_s.sum() / 60:.1f} min on one H100 (ESTIMATE)"
        )
    return "\n".join(lines)


def add_h100_arguments(parser: argparse.ArgumentParser) -> None:
    """The stated assumptions of the H100 estimate."""
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="H100 SXM dense bf16 peak (TFLOP/s)")
    parser.add_argument("--fraction-of-peak", type=float, default=0.35, help="assumed achieved fraction")
    parser.add_argument(
        "--step-floor-ms",
        type=float,
        default=3.0,
        help="assumed shortest eager optimizer step on an H100 (kernel launches)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="paper run config (datasets, variants, seeds, tables)")
    parser.add_argument("--images-per-second", type=float, required=True, help="measured training throughput")
    parser.add_argument("--backbone", default="resnet18", help="the benchmarked model's backbone")
    parser.add_argument("--image-size", type=int, default=128, help="the benchmarked image size")
    parser.add_argument("--device", default="the benchmark device", help="name of the measured device")
    add_h100_arguments(parser)
    args = parser.parse_args()
    flops = training_flops_per_image(public_code_model(args.backbone), args.image_size, "flat")
    print(
        report(
            args.config,
            args.images_per_second,
            flops,
            args.device,
            args.peak_tflops,
            args.fraction_of_peak,
            args.step_floor_ms,
        )
    )


if __name__ == "__main__":
    main()
