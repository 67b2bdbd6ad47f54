"""Write the synthetic MVTec-format set (the offline demo data).

Textures cut from scikit-image's brick/grass/gravel (train and test crops from disjoint
halves), a drawn tile floor (ceramic) and drawn objects (a nut, a caplet), with
scratch/color/oil/contamination/hole defects and exact masks, in the MVTec AD folder layout.
Same seed → byte-identical files.

Example:
  python -m rd4ad synth --out resources/synthetic_mvtec --seed 0
"""

from __future__ import annotations

import argparse
import time

from rd4ad.cli._arguments import non_negative_int
from rd4ad.data.synth import CATEGORIES, SynthConfig, generate


def configure(parser: argparse.ArgumentParser) -> None:
    d = SynthConfig.__dataclass_fields__
    parser.add_argument("--out", required=True, help="output folder (must not exist unless --overwrite)")
    parser.add_argument("--seed", type=non_negative_int, default=d["seed"].default)
    parser.add_argument("--image-size", type=int, default=d["image_size"].default, help="image side in pixels")
    parser.add_argument("--categories", nargs="+", default=list(CATEGORIES), choices=CATEGORIES)
    parser.add_argument("--n-train", type=int, default=d["n_train"].default, help="training images per category")
    parser.add_argument(
        "--n-test-good", type=int, default=d["n_test_good"].default, help="defect-free test images per category"
    )
    parser.add_argument(
        "--n-test-defect", type=int, default=d["n_test_defect"].default, help="test images per defect type"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output folder")


def run(args: argparse.Namespace) -> int:
    config = SynthConfig(
        image_size=args.image_size,
        n_train=args.n_train,
        n_test_good=args.n_test_good,
        n_test_defect=args.n_test_defect,
        categories=tuple(args.categories),
        seed=args.seed,
    )
    start = time.perf_counter()
    out = generate(args.out, config, overwrite=args.overwrite)
    print(f"wrote {out} ({', '.join(config.categories)}) in {time.perf_counter() - start:.1f} s")
    return 0
