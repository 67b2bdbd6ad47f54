"""Command-line interface: ``python -m rd4ad <command> …``.

Every module in this package is one sub-command. It defines a docstring (the
command's help), ``configure(parser)`` to add its arguments and ``run(args) -> int``.
Only the chosen command's module is imported (the others are listed from their
docstrings), so a command imports only what it needs.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import pkgutil
import sys
from pathlib import Path

from rd4ad.errors import RD4ADError


def _commands() -> dict[str, str]:
    """Command name → its module docstring, read without importing the module."""
    out = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        source = (Path(__path__[0]) / f"{info.name}.py").read_text(encoding="utf-8")
        out[info.name] = (ast.get_docstring(ast.parse(source)) or info.name).strip()
    return out


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The full parser; only ``chosen``'s module is imported and configured (all when None)."""
    parser = argparse.ArgumentParser(
        prog="python -m rd4ad",
        description="RD4AD reproducibility suite: train, evaluate, fetch data, report.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, doc in _commands().items():
        command = sub.add_parser(
            name, help=doc.splitlines()[0], description=doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if chosen is None or name == chosen:
            module = importlib.import_module(f"{__name__}.{name}")
            module.configure(command)
            command.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in argv if not a.startswith("-")), "")
    args = build_parser(chosen).parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except RD4ADError as err:
        print(f"rd4ad {args.command}: error: {err}", file=sys.stderr)
        return 2
