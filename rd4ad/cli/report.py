"""Build the HTML report: the paper's tables with measured mean ± std, deltas, figures, audit.

Reads the plan (<results>/plan.json: mode, datasets, variants, seeds, tolerance, tables, the
planned runs) and the run folders beside it, <results>/<dataset>/<category>/<variant>/seed<k>/;
cells without runs show "missing". Figures are written to figures/ next to the page, each table as
CSV and LaTeX to tables/, the Markdown summary to summary.md; the page opens from disk. Prints
the path of the page (first line), then the Markdown summary.

Example:
  python -m rd4ad report --plan results/demo/plan.json --out reports/demo/index.html
"""

from __future__ import annotations

import argparse

from rd4ad.report.build import build_report
from rd4ad.report.exports import SUMMARY_FILE


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plan", required=True, help="the plan file <results>/plan.json (the run folders lie beside it)"
    )
    parser.add_argument(
        "--out", required=True, help=f"HTML page to write (figures/, tables/ and {SUMMARY_FILE} go beside it)"
    )


def run(args: argparse.Namespace) -> int:
    page = build_report(args.plan, args.out)
    print(page)
    print((page.parent / SUMMARY_FILE).read_text(encoding="utf-8"), end="")
    return 0
