"""Download a dataset or the teacher weights, verifying checksums.

mvtec: the official archive (SHA-256), extracted safely, validated: 15 categories, every image
  and mask decoded, masks paired with and the size of their images (recorded in the folder, so
  loads do not decode to check again).
mnist | fmnist | cifar10: torchvision's classes (their MD5 checks), then every file decoded (idx
  headers and lengths, CIFAR-10 pickles); a damaged extracted file is extracted again.
caltech256: the official tar (MD5), extracted safely, 257 categories validated, every JPEG decoded.
visa: the official tar (SHA-256), extracted safely, validated: split_csv/1cls.csv, 12 objects, every
  image and mask it names decoded (masks: any non-zero value is a defect), no unnamed file.
loco: MVTec LOCO AD's tar.xz (MD5, unverified offline), extracted safely, validated: 5 categories,
  train / validation / test, every image and each of its per-defect masks decoded.
mvtec_ad2: MVTec AD 2's tar.gz (SHA-256), extracted safely, validated: 8 categories, train /
  validation / the public test set, every image and mask decoded; the private test sets (no masks,
  no labels) are not read.
folder: one's own images (rd4ad/data/folder.py), never downloaded: --local DIR validates them in
  place, every image and mask decoded, each bad file one line.
weights: torchvision IMAGENET1K_V1 teacher checkpoints (SHA-256 prefix) into --root
  (default: the torch hub cache).
--local DIR (any dataset, instead of --root): validate an existing copy in place; nothing is
  downloaded or changed.
--mirror URL replaces the official host (same file names).

Example:
  python -m rd4ad fetch mvtec --root resources/mvtec
"""

from __future__ import annotations

import argparse

from rd4ad.data.caltech import fetch_caltech, validate_caltech
from rd4ad.data.folder import validate_folder
from rd4ad.data.loco import fetch_loco, validate_loco
from rd4ad.data.mvtec import CATEGORIES, fetch_mvtec, validate_mvtec
from rd4ad.data.mvtec_ad2 import fetch_mvtec_ad2, validate_mvtec_ad2
from rd4ad.data.torchvision_sets import CLASSES, fetch_torchvision, validate_torchvision
from rd4ad.data.visa import fetch_visa, validate_visa
from rd4ad.files.errors import RD4ADError
from rd4ad.models.encoder import BACKBONES

TARGETS = ("mvtec", *CLASSES, "caltech256", "visa", "loco", "mvtec_ad2", "folder", "weights")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", choices=TARGETS, help="what to download")
    parser.add_argument("--root", default=None, help="destination folder (required except for weights)")
    parser.add_argument("--mirror", default=None, help="base URL replacing the official host")
    parser.add_argument("--local", default=None, help="a dataset: an existing local copy to validate and use in place")
    parser.add_argument(
        "--backbone", nargs="+", default=list(BACKBONES), choices=list(BACKBONES), help="weights: which teachers"
    )


def _check_flags(args: argparse.Namespace) -> None:
    """Every flag given is honoured: --local excludes --root and --mirror and is for datasets only."""
    if args.local is not None:
        ignored = [flag for flag, value in (("--root", args.root), ("--mirror", args.mirror)) if value is not None]
        if args.target == "weights":
            raise RD4ADError("fetch weights: --local is for datasets; give a local .pth as teacher_weights instead")
        if ignored:
            raise RD4ADError(
                f"fetch {args.target}: --local DIR uses an existing copy in place and cannot be combined with "
                f"{' or '.join(ignored)}; give --local DIR alone, or --root DIR [--mirror URL] to download"
            )
    elif args.target == "folder":
        raise RD4ADError("fetch folder: one's own images are not downloaded; give --local DIR to validate them")
    elif args.root is None and args.target != "weights":
        raise RD4ADError(f"fetch {args.target}: give --root DIR (download there) or --local DIR (an existing copy)")


def _validate_local(target: str, local: str) -> None:
    if target == "mvtec":
        validate_mvtec(local, CATEGORIES)
    elif target == "caltech256":
        validate_caltech(local)
    elif target == "visa":
        validate_visa(local)
    elif target == "folder":
        validate_folder(local)
    elif target == "loco":
        validate_loco(local)
    elif target == "mvtec_ad2":
        validate_mvtec_ad2(local)
    else:
        validate_torchvision(target, local)


def run(args: argparse.Namespace) -> int:
    _check_flags(args)
    if args.target == "weights":
        from rd4ad.models.weights import download_teacher_weights

        for backbone in args.backbone:
            print(download_teacher_weights(backbone, cache_dir=args.root, mirror=args.mirror))
        return 0
    if args.local is not None:
        _validate_local(args.target, args.local)
        print(args.local)
    elif args.target == "mvtec":
        print(fetch_mvtec(args.root, mirror=args.mirror))
    elif args.target == "caltech256":
        print(fetch_caltech(args.root, mirror=args.mirror))
    elif args.target == "visa":
        print(fetch_visa(args.root, mirror=args.mirror))
    elif args.target == "loco":
        print(fetch_loco(args.root, mirror=args.mirror))
    elif args.target == "mvtec_ad2":
        print(fetch_mvtec_ad2(args.root, mirror=args.mirror))
    else:
        print(fetch_torchvision(args.target, args.root, mirror=args.mirror))
    return 0
