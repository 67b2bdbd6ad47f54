"""Write a small replica of VisA, MVTec LOCO AD, MVTec AD 2 or one's own images (the demo's data beyond the paper).

Each dataset's real layout, file names, formats and mask encodings (what its loader reads, validated
by it), filled with the synthetic generator's images and defects: demo data, never comparable with
a result on the real dataset. Same seed → the same images.

Example:
  python -m rd4ad replica visa --out resources/replica_visa --categories capsules --seed 0
"""

from __future__ import annotations

import argparse
import time

from rd4ad.cli._arguments import non_negative_int
from rd4ad.data.replicas import LOADERS, ReplicaConfig, write_replica


def configure(parser: argparse.ArgumentParser) -> None:
    d = ReplicaConfig.__dataclass_fields__
    parser.add_argument("loader", choices=list(LOADERS), help="whose format to write")
    parser.add_argument("--out", required=True, help="output folder (must not exist unless --overwrite)")
    parser.add_argument("--categories", nargs="+", required=True, help="category (object) names to write")
    parser.add_argument("--seed", type=non_negative_int, default=d["seed"].default)
    parser.add_argument("--image-size", type=int, default=d["image_size"].default, help="image side in pixels")
    parser.add_argument("--n-train", type=int, default=d["n_train"].default, help="training images per category")
    parser.add_argument(
        "--n-test-good", type=int, default=d["n_test_good"].default, help="defect-free test images per category"
    )
    parser.add_argument(
        "--n-test-defect", type=int, default=d["n_test_defect"].default, help="test images per synthetic defect type"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace a replica this command wrote")


def run(args: argparse.Namespace) -> int:
    config = ReplicaConfig(
        categories=tuple(args.categories),
        image_size=args.image_size,
        n_train=args.n_train,
        n_test_good=args.n_test_good,
        n_test_defect=args.n_test_defect,
        seed=args.seed,
    )
    start = time.perf_counter()
    out = write_replica(args.loader, args.out, config, overwrite=args.overwrite)
    seconds = time.perf_counter() - start
    print(f"wrote the {args.loader} replica {out} ({', '.join(config.categories)}) in {seconds:.1f} s")
    return 0
