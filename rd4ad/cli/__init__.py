"""Command-line interface: ``python -m rd4ad <command> …``.

Every module in this package is one sub-command. It defines a docstring (the
command's help), ``configure(parser)`` to add its arguments and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from rd4ad.errors import RD4ADError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m rd4ad",
        description="RD4AD reproducibility suite: train, evaluate, fetch data, report.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        doc = (module.__doc__ or "").strip()
        summary = doc.splitlines()[0] if doc else info.name
        command = sub.add_parser(
            info.name, help=summary, description=doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.configure(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except RD4ADError as err:
        print(f"rd4ad {args.command}: error: {err}", file=sys.stderr)
        return 2
