"""Is a candidate variant better than a reference? Paired comparison over categories and seeds.

Reads the metrics.json of both variants (the reference from the first --results tree, the
candidate from the second, or both from one) and prints, per dataset and metric (percent, each
run's headline level subset): the mean Δ = candidate − reference over the categories both have,
its 95 % t-interval, the exact sign-flip p-value across categories (across seeds for one
category), Holm-adjusted over the metrics compared, the smallest Δ these categories and seeds
could detect (80 % power at the family's level; "not estimable" when nothing varies) and a
verdict: better, worse, no evidence, or "needs ≥ N categories" when the design could never reach
significance; then each category's Δ with its seed interval. Seeds are paired by number; seeds
only one variant has are listed and left out. With nothing to compare it prints one line and
exits 1. Method and assumptions: docs/comparisons.md.

Examples:
  python -m rd4ad compare --results results/paper --reference headline --candidate loss_eq2
  python -m rd4ad compare --results results/before --results results/after --reference headline --candidate headline
"""

from __future__ import annotations

import argparse
import sys

from rd4ad.cli._arguments import non_negative_int
from rd4ad.files.errors import RD4ADError
from rd4ad.results.comparisons import NOTHING_COMPARED, compare_variants, comparison_text, unpaired_text
from rd4ad.results.tree import collect_runs
from rd4ad.statistics.signflip import SEED


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--results",
        required=True,
        action="append",
        metavar="DIR",
        help="results tree of the reference; give it twice for the candidate's own tree",
    )
    parser.add_argument("--reference", required=True, metavar="VARIANT", help="the variant compared against")
    parser.add_argument("--candidate", required=True, metavar="VARIANT", help="the variant asked about")
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=SEED,
        help=f"seed of the random sign patterns beyond 15 categories (default {SEED})",
    )


def _runs(results: str, variant: str, role: str):
    runs = collect_runs(results)
    if not (runs["variant"] == variant).any():
        found = ", ".join(sorted(runs["variant"].unique())) or "none"
        raise RD4ADError(
            f"{results}: no metrics.json of the {role} variant {variant!r} (variants with "
            f"results: {found}); evaluate its runs or check --{role}"
        )
    return runs


def run(args: argparse.Namespace) -> int:
    if len(args.results) > 2:
        raise RD4ADError(f"--results given {len(args.results)} times: give one tree, or two (reference, candidate)")
    reference = _runs(args.results[0], args.reference, "reference")
    candidate = _runs(args.results[-1], args.candidate, "candidate")
    comparison = compare_variants(reference, candidate, args.reference, args.candidate, seed=args.seed)
    if comparison.summary.empty:
        print(
            "; ".join(line for line in (NOTHING_COMPARED, unpaired_text(comparison).replace("\n", "; ")) if line),
            file=sys.stderr,
        )
        return 1
    print(comparison_text(comparison))
    return 0
