"""Benchmark: training images/second of the public code's loop vs the suite's fast loop.

(a) ``public_loop.train_public`` (beside this file): PIL decode + Resize/ToTensor/CenterCrop/Normalize
every step, DataLoader batch 16, fp32, ``loss.item()`` every step, teacher weight gradients;
(b) ``rd4ad.training.loop.train_run`` with ``fast=True`` (and ``precision="bf16"`` on CUDA):
cached uint8 tensors, normalisation on the device, bf16 autocast + channels_last + fused Adam
on CUDA (on CPU fp32: only the data path and the syncs differ). Same model, same data, same device; epoch 1 of
each is the warm-up and is not timed. (b) is reported twice: the training steps alone
(``loss.csv`` seconds) and end to end (with the ``loss.csv`` writes and a ``resume.pt``
checkpoint after every epoch, the worst case of ``--checkpoint-minutes 0``). The one-time decode
into the cache is timed separately. With ``--config`` the measured rate is extrapolated to the T1 sweep
and the whole paper DAG
(``extrapolate.py``). Run: ``python benchmarks/bench_train.py [--device cuda] [--config config/config.yaml]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from extrapolate import add_h100_arguments, report
from public_loop import public_code_model, train_public

from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.data import load_split
from rd4ad.data.synth import SynthConfig, generate
from rd4ad.evaluation.complexity import device_name, training_flops_per_image
from rd4ad.machine.device import resolve_device, set_deterministic
from rd4ad.training.loop import train_run


def epoch_clock() -> tuple[list[float], Callable[..., None]]:
    """A list of epoch-end times and the callback that fills it."""
    stamps: list[float] = []
    return stamps, lambda *_: stamps.append(time.perf_counter())


def steady_rate(n_images: int, stamps: list[float]) -> float:
    """Images/second over epochs 2… (epoch 1 is the warm-up)."""
    return n_images * (len(stamps) - 1) / (stamps[-1] - stamps[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="MVTec-layout folder (default: a fresh synthetic set)")
    parser.add_argument("--category", default="brick")
    parser.add_argument("--backbone", default="resnet18")
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--n-train", type=int, default=32, help="training images of the synthetic set")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per loop (the first is warm-up)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--config", help="paper run config: also extrapolate T1 and the whole DAG")
    add_h100_arguments(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_train_") as work:
        measure(args, Path(work))


def measure(args: argparse.Namespace, work: Path) -> None:
    """Train both loops on ``args``' data inside ``work`` (removed afterwards) and print the ratios."""
    device = resolve_device(args.device)
    set_deterministic(device.type == "cpu")
    root = args.data_root or generate(
        work / "synth", SynthConfig(image_size=args.image_size, n_train=args.n_train, categories=(args.category,))
    )
    run = RunConfig(
        dataset="mvtec",
        category=args.category,
        variant="bench",
        seed=111,
        loader="mvtec",
        data_root=str(root),
        protocol={},
        demo=True,
        backbone=args.backbone,
        image_size=args.image_size,
        epochs=args.epochs,
        lr=0.005,
        batch_size=16,
        teacher_weights="random",
        fast=True,
        precision="bf16" if device.type == "cuda" else "fp32",
    )
    start = time.perf_counter()
    n = len(load_split("mvtec", root, args.category, "train", args.image_size, cache_dir=work / "cache").labels)
    decode_s = time.perf_counter() - start

    public_stamps, public_tick = epoch_clock()
    train_public(RunConfig(**{**run.to_dict(), "fast": False, "precision": "fp32"}), device, on_epoch_end=public_tick)
    fast_stamps, fast_tick = epoch_clock()
    folder = RunFolder(work / "fast", run.key)
    train_run(run, folder, device, cache_dir=str(work / "cache"), on_epoch_end=fast_tick, checkpoint_minutes=0)
    step_s = pd.read_csv(folder.loss)["seconds"].iloc[1:].sum()

    public = steady_rate(n, public_stamps)
    fast_end_to_end = steady_rate(n, fast_stamps)
    fast_steps = n * (args.epochs - 1) / step_s
    name = device_name(device)
    print(
        f"device: {name}; model {args.backbone} {args.image_size}px, {n} training images, batch 16, "
        f"{args.epochs} epochs per loop (first untimed)"
    )
    print(f"one-time decode into the uint8 cache: {decode_s:.2f} s ({n / decode_s:.0f} img/s)")
    print(f"(a) public-code loop:            {public:8.2f} img/s")
    print(f"(b) fast loop, training steps:   {fast_steps:8.2f} img/s   ratio b/a = {fast_steps / public:.2f}x")
    print(
        f"(b) fast loop, end to end:       {fast_end_to_end:8.2f} img/s   ratio b/a = {fast_end_to_end / public:.2f}x"
    )
    if args.config:
        flops = training_flops_per_image(public_code_model(args.backbone), args.image_size, "flat")
        print(report(args.config, fast_steps, flops, name, args.peak_tflops, args.fraction_of_peak, args.step_floor_ms))


if __name__ == "__main__":
    main()
