"""Download a dataset or the teacher weights, verifying checksums.

mvtec: the official archive (SHA-256), extracted safely, validated: 15 categories, every image
  and mask decoded, masks paired with and the size of their images (recorded in the folder, so
  loads do not decode to check again); --local PATH validates an existing copy instead of downloading.
mnist | fmnist | cifar10: torchvision's classes (their MD5 checks).
caltech256: the official tar (MD5), extracted safely, 257 categories validated.
weights: torchvision IMAGENET1K_V1 teacher checkpoints (SHA-256 prefix) into --root
  (default: the torch hub cache).
--mirror URL replaces the official host (same file names).

Example:
  python -m rd4ad fetch mvtec --root resources/mvtec
"""

from __future__ import annotations

import argparse

from rd4ad.data.caltech import fetch_caltech
from rd4ad.data.mvtec import fetch_mvtec
from rd4ad.data.torchvision_sets import CLASSES, fetch_torchvision
from rd4ad.files.errors import RD4ADError
from rd4ad.models.encoder import BACKBONES

TARGETS = ("mvtec", *CLASSES, "caltech256", "weights")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", choices=TARGETS, help="what to download")
    parser.add_argument("--root", default=None, help="destination folder (required except for weights)")
    parser.add_argument("--mirror", default=None, help="base URL replacing the official host")
    parser.add_argument("--local", default=None, help="mvtec: an existing local copy to validate and use")
    parser.add_argument(
        "--backbone", nargs="+", default=list(BACKBONES), choices=list(BACKBONES), help="weights: which teachers"
    )


def run(args: argparse.Namespace) -> int:
    if args.target == "weights":
        from rd4ad.models.weights import download_teacher_weights

        for backbone in args.backbone:
            print(download_teacher_weights(backbone, cache_dir=args.root, mirror=args.mirror))
        return 0
    if args.root is None and args.local is None:
        raise RD4ADError(f"fetch {args.target}: --root DIR is required")
    if args.target == "mvtec":
        path = fetch_mvtec(args.root, mirror=args.mirror, mvtec_root=args.local)
    elif args.target == "caltech256":
        path = fetch_caltech(args.root, mirror=args.mirror)
    else:
        path = fetch_torchvision(args.target, args.root, mirror=args.mirror)
    print(path)
    return 0
