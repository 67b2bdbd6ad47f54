"""Show the runs the Snakemake DAG trains for a run config, or write the resolved config.

Prints one row per run (dataset, category, variant, seed) with the tables that use it;
each run is trained once however many tables read it.

Examples:
  python -m rd4ad plan --config config/demo.yaml
  python -m rd4ad plan --config-json '{...}' --write-config results/config.resolved.yaml
"""

from __future__ import annotations

import argparse
import json

import pandas as pd
import yaml

from rd4ad.errors import RD4ADError
from rd4ad.io import atomic_write_text
from rd4ad.workflow_plan import load_yaml, resolve_config, table_runs


def configure(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", help="run config YAML (config/config.yaml, config/demo.yaml, …)")
    source.add_argument("--config-json", help="the run config as one JSON object (what the Snakefile passes)")
    parser.add_argument("--write-config", default=None,
                        help="write the validated config, defaults filled, to this YAML file instead of the run table")


def run(args: argparse.Namespace) -> int:
    if args.config is not None:
        raw = load_yaml(args.config)
    else:
        try:
            raw = json.loads(args.config_json)
        except json.JSONDecodeError as err:
            raise RD4ADError(f"--config-json is not valid JSON ({err})") from err
    config = resolve_config(raw, args.config or "--config-json")
    if args.write_config:
        atomic_write_text(args.write_config, yaml.safe_dump(config, sort_keys=False))
        print(args.write_config)
        return 0
    rows = [{"dataset": r.dataset, "category": r.category, "variant": r.variant, "seed": r.seed, "table": key}
            for key, runs in table_runs(config, load_yaml(config["tables"])).items() for r in runs]
    table = (pd.DataFrame(rows).groupby(["dataset", "category", "variant", "seed"], sort=True)["table"]
             .agg(" ".join).reset_index(name="tables"))
    print(table.to_csv(index=False), end="")
    return 0
