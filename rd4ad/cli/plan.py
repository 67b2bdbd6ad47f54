"""Show the runs the workflow plans for a run config, one run whole, or write the plan file.

Validates the config (defaults filled) and prints one row per run (dataset, category,
variant, seed) with the tables that read it; each run is trained once however many tables
read it. --run KEY prints that run as the JSON `train --run-json` takes. --write writes the
plan to <results>/plan.json instead, as the workflow's `plan` rule does (the report reads it).

Examples:
  python -m rd4ad plan --config config/demo.yaml
  python -m rd4ad plan --config config/demo.yaml --run mvtec/ceramic/headline/seed0
  python -m rd4ad plan --config config/demo.yaml --write
"""

from __future__ import annotations

import argparse
import json

import pandas as pd

from rd4ad.planning.planner import plan_config_file, require_extras


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="run config YAML (config/config.yaml, config/demo.yaml, …)")
    show = parser.add_mutually_exclusive_group()
    show.add_argument("--run", metavar="KEY", help="print this run <dataset>/<category>/<variant>/seed<k> as JSON")
    show.add_argument("--write", action="store_true", help="write <results>/plan.json instead of the run table")


def run(args: argparse.Namespace) -> int:
    plan = plan_config_file(args.config)
    require_extras(plan, args.config)
    if args.run:
        print(json.dumps(plan.run(args.run).to_dict(), sort_keys=True))
    elif args.write:
        print(plan.write())
    else:
        rows = [
            {
                "dataset": p.run.dataset,
                "category": p.run.category,
                "variant": p.run.variant,
                "seed": p.run.seed,
                "tables": " ".join(p.tables),
            }
            for p in plan.runs.values()
        ]
        print(pd.DataFrame(rows).to_csv(index=False), end="")
    return 0
