"""Is a candidate variant better than a reference? Paired comparison over categories and seeds.

Reads the metrics.json of both variants (the reference from the first --results tree, the
candidate from the second, or both from one) and prints, per dataset and metric (percent, each
run's headline level subset): the mean Δ = candidate − reference over the categories both have,
its 95 % hierarchical-bootstrap interval (categories, then seeds), the Wilcoxon signed-rank
p-value across categories, the smallest Δ these categories and seeds could detect (80 % power,
α = 0.05) and a verdict: better, worse or no evidence; then each category's Δ with its seed
interval. Seeds are paired by number (by position in ascending order when the two variants
share no seed). Method and
assumptions: docs/comparisons.md.

Examples:
  python -m rd4ad compare --results results/paper --reference headline --candidate loss_eq2
  python -m rd4ad compare --results results/before --results results/after --reference headline --candidate headline
"""

from __future__ import annotations

import argparse

from rd4ad.files.errors import RD4ADError
from rd4ad.results.comparisons import compare_variants, comparison_text
from rd4ad.results.tree import collect_runs
from rd4ad.statistics.paired import SEED


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
    parser.add_argument("--seed", type=int, default=SEED, help=f"seed of the bootstrap (default {SEED})")


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
    print(comparison_text(compare_variants(reference, candidate, args.reference, args.candidate, seed=args.seed)))
    return 0
