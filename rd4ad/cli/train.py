"""Train one RD4AD run (dataset × category × variant × seed) and write model.pt.

The run resumes from resume.pt in the output folder when a previous attempt was
killed; model.pt appears only when training has finished (atomic write).

Example (the embedded demo data):
  python -m rd4ad train --dataset mvtec --data-root resources/synthetic_mvtec \\
      --category brick --variant demo --backbone resnet18 --teacher-weights random \\
      --image-size 64 --epochs 2 --out results/demo/mvtec/brick/demo/seed0/model.pt
"""

from __future__ import annotations

import argparse

from rd4ad.arguments import device_name
from rd4ad.device import resolve_device, set_deterministic
from rd4ad.errors import RD4ADError
from rd4ad.numerics import CPU_NUMERICS, apply_cpu_numerics
from rd4ad.training.config import (BACKBONES, BOTTLENECKS, DATASETS, DECODER_BLOCKS, LOSSES,
                                   SCORES, RunConfig)
from rd4ad.training.loop import train_run


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that define a run (shared by ``train`` and ``complexity``)."""
    d = RunConfig.__dataclass_fields__
    g = parser.add_argument_group("run")
    g.add_argument("--dataset", required=True, choices=DATASETS, help="dataset loader")
    g.add_argument("--data-root", default="", help="dataset folder (MVTec layout, torchvision root, …)")
    g.add_argument("--category", required=True, help="MVTec category, novelty class id, or Caltech repeat (r0…)")
    g.add_argument("--variant", default=d["variant"].default, help="variant name (recorded, used in paths)")
    g.add_argument("--backbone", default=d["backbone"].default, choices=BACKBONES)
    g.add_argument("--teacher-weights", default=d["teacher_weights"].default,
                   help="imagenet_v1 (the paper's) | random (demo/tests) | path to a .pth state dict")
    g.add_argument("--bottleneck", default=d["bottleneck"].default, choices=BOTTLENECKS, help="Table 5 ablation")
    g.add_argument("--decoder-blocks", default=d["decoder_blocks"].default, choices=DECODER_BLOCKS,
                   help="code: public code [3,4,6]; supplement: supplement Table 1 [6,4,3]")
    g.add_argument("--loss", default=d["loss"].default, choices=LOSSES,
                   help="flat: public code; eq2: paper Eq. 1-2")
    g.add_argument("--image-size", type=int, default=d["image_size"].default)
    g.add_argument("--epochs", type=int, default=d["epochs"].default)
    g.add_argument("--lr", type=float, default=d["lr"].default)
    g.add_argument("--batch-size", type=int, default=d["batch_size"].default)
    g.add_argument("--seed", type=int, default=d["seed"].default)
    g.add_argument("--score", default=d["score"].default, choices=SCORES,
                   help="image score: max of the map (MVTec) or sum (novelty detection)")
    g.add_argument("--protocol", nargs="+", default=[], metavar="KEY=VALUE",
                   help="caltech256 split knobs, e.g. n_inlier_categories=1 outlier_ratio=0.5 "
                        "(also train_per_category, protocol_seed; rd4ad/data/caltech.py)")
    g.add_argument("--fast", action="store_true", help="GPU fast path: bf16 autocast, channels_last, fused Adam")
    g.add_argument("--demo", action="store_true", help="mark the run as demo (embedded data, not a reproduction)")


def parse_protocol(pairs: list[str]) -> dict[str, int | float]:
    """``["outlier_ratio=0.25", "n_inlier_categories=3"]`` → ``{"outlier_ratio": 0.25, "n_inlier_categories": 3}``."""
    protocol = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            protocol[key] = int(value) if value.isdigit() else float(value)
        except ValueError:
            key = ""
        if not key:
            raise RD4ADError(f"--protocol {pair!r}: give KEY=NUMBER, e.g. outlier_ratio=0.5")
    return protocol


def run_config_from_args(args: argparse.Namespace, **extra) -> RunConfig:
    """The ``RunConfig`` named by the run flags."""
    return RunConfig(dataset=args.dataset, category=args.category, data_root=args.data_root,
                     variant=args.variant, backbone=args.backbone, teacher_weights=args.teacher_weights,
                     bottleneck=args.bottleneck, decoder_blocks=args.decoder_blocks, loss=args.loss,
                     image_size=args.image_size, epochs=args.epochs, lr=args.lr,
                     batch_size=args.batch_size, seed=args.seed, score=args.score, fast=args.fast,
                     demo=args.demo, protocol=parse_protocol(args.protocol), **extra)


def add_execution_arguments(parser: argparse.ArgumentParser) -> None:
    """Where and how to run (does not change what a run is)."""
    g = parser.add_argument_group("execution")
    g.add_argument("--device", default="auto", type=device_name, help="auto (CUDA when present), cpu, cuda, cuda:N")
    g.add_argument("--cache-dir", default=None, help="folder for decoded uint8 image caches")
    g.add_argument("--nondeterministic", action="store_true",
                   help="allow nondeterministic kernels (faster on GPU; CI uses the deterministic default)")
    g.add_argument("--cpu-numerics", default="native", choices=CPU_NUMERICS,
                   help="native: this CPU's fastest kernels; pinned: the same bits on every x86-64 CPU "
                        "(rd4ad/numerics.py; the CI config)")


def apply_execution(args: argparse.Namespace) -> None:
    """The process-wide numerics of the execution flags (before any torch computation)."""
    apply_cpu_numerics(args.cpu_numerics)
    set_deterministic(not args.nondeterministic)


def configure(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser)
    t = parser.add_argument_group("training")
    t.add_argument("--checkpoint-every", type=int, default=1, help="epochs between resume checkpoints")
    t.add_argument("--eval-every", type=int, default=0,
                   help="audit: evaluate on the TEST set every N epochs (public code does 10); 0 = off")
    add_execution_arguments(parser)
    parser.add_argument("--compile", action="store_true",
                        help="run the training forward through torch.compile (off by default; pays off only "
                             "for long runs on GPU)")
    parser.add_argument("--out", required=True, help="output model.pt (its folder holds loss.csv, resume.pt)")


def run(args: argparse.Namespace) -> int:
    run_cfg = run_config_from_args(args, checkpoint_every=args.checkpoint_every, eval_every=args.eval_every)
    apply_execution(args)
    train_run(run_cfg, args.out, resolve_device(args.device), cache_dir=args.cache_dir, compile=args.compile,
              numerics=args.cpu_numerics)
    print(args.out)
    return 0
