"""Print the knobs of a config's variants as a Markdown table, or write it into a file.

The table is generated from RunConfig (rd4ad/contract/run.py): every knob a `variants:` entry
sets, its type, default and allowed values. --write FILE replaces the table between the
knob-table markers in FILE (config/README.md), so the documentation never retypes a knob.

Examples:
  python -m rd4ad knobs
  python -m rd4ad knobs --write config/README.md
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rd4ad.contract.knob_table import knob_table_markdown, with_knob_table
from rd4ad.files.io import atomic_write_text


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--write", metavar="FILE", help="replace the knob table between its markers in FILE")


def run(args: argparse.Namespace) -> int:
    if args.write is None:
        print(knob_table_markdown(), end="")
        return 0
    path = Path(args.write)
    text = path.read_text(encoding="utf-8")
    updated = with_knob_table(text, source=str(path))
    if updated != text:
        atomic_write_text(path, updated)
    print(f"{path}: knob table {'updated' if updated != text else 'already up to date'}")
    return 0
