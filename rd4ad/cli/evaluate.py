"""Evaluate a trained run on its test split: scores.csv, examples.npz, metrics.json.

metrics.json holds image AUROC, pixel AUROC, exact AUPRO ("pro") and the public code's
per-image PRO ("pro_public") for every level subset of Table 7 (M1 … M1+2+3).

Example:
  python -m rd4ad evaluate --model results/demo/mvtec/brick/demo/seed0/model.pt \\
      --out results/demo/mvtec/brick/demo/seed0/metrics.json
"""

from __future__ import annotations

import argparse
import json

from rd4ad.arguments import positive_int
from rd4ad.cli.train import add_execution_arguments, apply_execution
from rd4ad.device import resolve_device
from rd4ad.evaluation.evaluate import HEADLINE, evaluate_run


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="model.pt written by `python -m rd4ad train`")
    parser.add_argument("--out", required=True, help="metrics.json to write (scores.csv, examples.npz beside it)")
    parser.add_argument("--batch-size", type=positive_int, default=32, help="inference batch size")
    add_execution_arguments(parser)


def run(args: argparse.Namespace) -> int:
    apply_execution(args)
    result = evaluate_run(args.model, args.out, resolve_device(args.device),
                          batch_size=args.batch_size, cache_dir=args.cache_dir, numerics=args.cpu_numerics)
    print(json.dumps({HEADLINE: result["levels"][HEADLINE]}))
    return 0
