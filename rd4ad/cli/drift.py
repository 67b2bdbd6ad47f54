"""Compare the metrics of a results tree to a committed baseline (CI drift check).

A value fails when it moves by more than --tol pp in the baseline's numerics environment (the
same torch, CPU numerics, kernels, threads and CPU model), or by more than max(--tol pp, --k ×
its seed spread) in another; when its run disappeared; or when the results hold a run the
baseline lacks. A NaN metric is an error naming its file. Prints the failing values, the largest
moves, the first stage (training split, teacher, student, test split, maps) where each run's bits
differ from the baseline's, whether the environment differs, and a summary; exits 1 on a failure,
0 otherwise.

--write-baseline FILE freezes the metrics of a results tree made with several seeds: the values
of --reference-seeds (what CI runs) and each metric's spread over all the seeds.

Examples:
  python -m rd4ad drift --baseline tests/baselines/ci.json --results results/ci
  python -m rd4ad drift --write-baseline tests/baselines/ci.json --results results/ci --reference-seeds 0
"""

from __future__ import annotations

import argparse

from rd4ad.cli._arguments import non_negative_float
from rd4ad.drift import (
    compare,
    drift_failed,
    drift_report,
    environment,
    load_baseline,
    metric_values,
    run_digests,
    same_numerics,
    write_baseline,
)


def configure(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--baseline", help="baseline JSON to compare against")
    mode.add_argument("--write-baseline", metavar="FILE", help="write the current metrics as a baseline")
    parser.add_argument("--results", required=True, help="root of the run folders")
    parser.add_argument(
        "--tol",
        type=non_negative_float,
        default=None,
        help="fixed tolerance in percentage points (default: the baseline's, 0.5 for a new one)",
    )
    parser.add_argument(
        "--k",
        type=non_negative_float,
        default=None,
        help="seed spreads a value may move (default: the baseline's, 3 for a new one)",
    )
    parser.add_argument(
        "--reference-seeds",
        type=int,
        nargs="+",
        default=None,
        metavar="SEED",
        help="with --write-baseline: the seeds whose values are frozen (default: all)",
    )


def run(args: argparse.Namespace) -> int:
    if args.write_baseline:
        tolerance = {name: value for name, value in (("fixed_pp", args.tol), ("k", args.k)) if value is not None}
        print(write_baseline(args.write_baseline, args.results, args.reference_seeds, **tolerance))
        return 0
    baseline = load_baseline(args.baseline)
    fixed_pp = baseline["tolerance"]["fixed_pp"] if args.tol is None else args.tol
    k = baseline["tolerance"]["k"] if args.k is None else args.k
    current_env = environment(args.results)
    same = same_numerics(baseline["environment"], current_env)
    table = compare(baseline, metric_values(args.results), fixed_pp, k, same)
    print(drift_report(table, baseline, current_env, fixed_pp, k, same, run_digests(args.results)))
    return 1 if drift_failed(table) else 0
