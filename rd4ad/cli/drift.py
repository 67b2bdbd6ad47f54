"""Compare the metrics of a results tree to a committed baseline (CI drift check).

Prints every value that differs (drift in percentage points) and exits 1 when one drifted
past --tol or disappeared; 0 otherwise. --write-baseline FILE freezes the current metrics.

Examples:
  python -m rd4ad drift --write-baseline tests/baselines/demo.json --results results/demo
  python -m rd4ad drift --baseline tests/baselines/demo.json --results results/demo --tol 0.5
"""

from __future__ import annotations

import argparse

from rd4ad.arguments import non_negative_float
from rd4ad.drift import compare, drift_failed, drift_report, load_baseline, metric_values, write_baseline


def configure(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--baseline", help="baseline JSON to compare against")
    mode.add_argument("--write-baseline", metavar="FILE", help="write the current metrics as a baseline")
    parser.add_argument("--results", required=True, help="root of the run folders")
    parser.add_argument("--tol", type=non_negative_float, default=0.0,
                        help="allowed |drift| in percentage points (default 0: exact)")


def run(args: argparse.Namespace) -> int:
    if args.write_baseline:
        print(write_baseline(args.write_baseline, args.results))
        return 0
    table = compare(load_baseline(args.baseline), metric_values(args.results), args.tol)
    print(drift_report(table, args.tol))
    return 1 if drift_failed(table) else 0
