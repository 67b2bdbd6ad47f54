"""Run COMMAND with torch and the suite imported once: its `python -m rd4ad train|evaluate` jobs fork from here.

Each job process of a workflow pays its imports before any work: torch, torchvision and
scikit-learn take about 4 s on a 2-core Xeon and 7-10 s on slower CPUs, as long as a demo run's
training. This command imports them once, runs COMMAND with RD4AD_PRELOAD set, and answers each
per-run job by forking a child that already holds them (rd4ad/machine/preload/). The job's
output, log, exit status and signals are its own, and its results are bit-identical to a fresh
process's. Use it on CPU-only machines (scripts/run_demo.sh does): where CUDA devices are visible,
or no Unix socket can be made, COMMAND runs with plain processes (a GPU job needs a fresh process).

Example:
  python -m rd4ad preload -- snakemake all --cores 2 --configfile config/demo.yaml
"""

from __future__ import annotations

import argparse

from rd4ad.files.errors import RD4ADError
from rd4ad.machine.preload.server import serve

# What a train or evaluate job imports besides the machine's MODULES.
SUITE = ("rd4ad.cli.train", "rd4ad.cli.evaluate")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("wrapped", nargs=argparse.REMAINDER, metavar="COMMAND", help="the command to run (after --)")


def run(args: argparse.Namespace) -> int:
    command = args.wrapped[1:] if args.wrapped[:1] == ["--"] else args.wrapped
    if not command:
        raise RD4ADError("give the command to run after --, e.g. -- snakemake all --cores 2")
    from rd4ad.cli import main

    return serve(command, main, preload=SUITE)
