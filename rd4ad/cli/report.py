"""Build the HTML report: the paper's tables with measured mean ± std, deltas, figures, audit.

Reads the run configuration (mode, datasets, variants, seeds, tolerance, tables) and the
run folders <results>/<dataset>/<category>/<variant>/seed<k>/; cells without runs show
"missing". Figures are written to figures/ next to the page; the page opens from disk.
Prints the path of the page.

Example:
  python -m rd4ad report --config config/demo.yaml --results results/demo --out reports/index.html
"""

from __future__ import annotations

import argparse

from rd4ad.report.build import build_report


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="run configuration YAML (config/config.yaml, config/demo.yaml)")
    parser.add_argument("--results", required=True, help="root of the run folders")
    parser.add_argument("--out", required=True, help="HTML page to write (figures/ goes beside it)")


def run(args: argparse.Namespace) -> int:
    print(build_report(args.config, args.results, args.out))
    return 0
