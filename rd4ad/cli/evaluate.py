"""Evaluate a trained run: scores.csv, examples.npz, then metrics.json in its folder.

Reads model.pt of the run's folder <results>/<dataset>/<category>/<variant>/seed<k>/ (it also
holds the run, so the model is rebuilt exactly) and writes the three files beside it,
metrics.json last. metrics.json holds image AUROC, pixel AUROC, exact AUPRO ("pro"), the public
code's per-image PRO ("pro_public") and anomalib ≤ 2.2's AUPRO ("pro_anomalib22", may exceed 1)
for every level subset of Table 7 (M1 … M1+2+3).
An evaluation runs only after its training job is recorded complete, so it then releases the
final state that training kept in resume.pt (rd4ad/training/checkpoints.py).

Example:
  python -m rd4ad evaluate --results results/demo --run mvtec/ceramic/headline/seed0
"""

from __future__ import annotations

import argparse
import json

from rd4ad.cli._arguments import positive_int
from rd4ad.cli.train import add_execution_arguments, apply_execution
from rd4ad.contract.layout import RunFolder, parse
from rd4ad.evaluation.inference import BATCH_SIZE
from rd4ad.implementations.evaluate import evaluate_run
from rd4ad.machine.device import resolve_device
from rd4ad.scoring import HEADLINE
from rd4ad.training.checkpoints import release_final_state


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", required=True, help="the run's key <dataset>/<category>/<variant>/seed<k>")
    add_execution_arguments(parser)
    parser.add_argument("--batch-size", type=positive_int, default=BATCH_SIZE, help="inference batch size")


def run(args: argparse.Namespace) -> int:
    apply_execution(args)
    folder = RunFolder(args.results, parse(args.run))
    result = evaluate_run(
        folder,
        resolve_device(args.device),
        batch_size=args.batch_size,
        cache_dir=args.cache_dir,
        numerics=args.cpu_numerics,
    )
    release_final_state(folder)
    print(json.dumps({HEADLINE: result["levels"][HEADLINE]}))
    return 0
