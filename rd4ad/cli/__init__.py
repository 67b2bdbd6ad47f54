"""Command-line interface: ``python -m rd4ad <command> …``.

Every module in this package is one sub-command (a module whose name starts with an underscore,
``_arguments``, is a helper). It defines a docstring (the command's help), ``configure(parser)``
to add its arguments and ``run(args) -> int``.
Only the chosen command's module is imported (the others are listed from their
docstrings), so a command imports only what it needs.

No error reaches the user as a raw traceback: ``RD4ADError`` and ``OSError`` become one line
naming the file and what to do; anything unexpected becomes one line plus the path of a log
holding the traceback (``rd4ad.files.crashlog``). ``--debug`` prints the traceback as well.
``--log FILE`` (the workflow's jobs) sends the output into FILE and the error line to the original
stderr as well, kept even when FILE's disk is full (``rd4ad.files.joblog``).

Imports: any part of rd4ad (the top layer).
"""

from __future__ import annotations

import argparse
import ast
import errno
import importlib
import pkgutil
import sys
import traceback
from pathlib import Path

from rd4ad.files.crashlog import write_crash_log
from rd4ad.files.errors import RD4ADError, describe_os_error
from rd4ad.files.joblog import open_log, report_error

FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)  # a write to the log that fails names the log


def _commands() -> dict[str, str]:
    """Command name → its module docstring, read without importing the module."""
    out = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        source = (Path(__path__[0]) / f"{info.name}.py").read_text(encoding="utf-8")
        out[info.name] = (ast.get_docstring(ast.parse(source)) or info.name).strip()
    return out


class _Parser(argparse.ArgumentParser):
    """A bad flag or value is one line naming it (the usage block is in ``--help``)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The full parser; only ``chosen``'s module is imported and configured (all when None)."""
    parser = _Parser(
        prog="python -m rd4ad",
        description="RD4AD reproducibility suite: train, evaluate, fetch data, report.",
    )
    parser.add_argument("--debug", action="store_true", help="print the full traceback of any error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, doc in _commands().items():
        command = sub.add_parser(
            name,
            help=doc.splitlines()[0],
            description=doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="print the full traceback of any error"
        )
        command.add_argument(
            "--log", metavar="FILE", default=None, help="write the output to FILE; the error line also to stderr"
        )
        if chosen is None or name == chosen:
            module = importlib.import_module(f"{__name__}.{name}")
            module.configure(command)
            command.set_defaults(_run=module.run)
    return parser


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [""])[0][:300]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in argv if not a.startswith("-")), "")
    args = build_parser(chosen).parse_args(argv)
    prefix = f"rd4ad {args.command}:"
    try:
        original = open_log(args.log) if args.log else None
    except OSError as err:
        print(f"{prefix} error: cannot write its log {describe_os_error(err, args.log)}", file=sys.stderr)
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        report_error(f"{prefix} interrupted", args.log, original)
        return 130
    except (RD4ADError, OSError) as err:
        if args.debug:
            traceback.print_exc()
        log = args.log if isinstance(err, OSError) and err.errno in FULL else None
        message = str(err) if isinstance(err, RD4ADError) else describe_os_error(err, err.filename or log)
        report_error(f"{prefix} error: {message}", args.log, original)
        return 2
    except Exception as err:
        if args.debug:
            traceback.print_exc()
        log = write_crash_log(args.command, argv, err)
        where = f"traceback in {log}" if log else "rerun with --debug for the traceback"
        report_error(
            f"{prefix} unexpected error: {type(err).__name__}: {_first_line(err)} ({where}; --debug prints it)",
            args.log,
            original,
        )
        return 1
