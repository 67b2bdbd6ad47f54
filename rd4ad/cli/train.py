"""Train one run (dataset × category × variant × seed) and write its model.pt.

The run comes whole, as the JSON the plan holds for it (rd4ad/contract/run.py RunConfig; `python -m
rd4ad plan --config CONFIG` lists the runs, `--run KEY` prints one). Its folder is
<results>/<dataset>/<category>/<variant>/seed<k>/. The run resumes from resume.pt there when
a previous attempt was killed (it is written every --checkpoint-minutes of wall time); model.pt
appears only when training has finished (atomic write).

Example (a run of the embedded demo):
  python -m rd4ad train --results results/demo \\
      --run-json "$(python -m rd4ad plan --config config/demo.yaml --run mvtec/ceramic/headline/seed0)"
"""

from __future__ import annotations

import argparse
import json

from rd4ad.cli._arguments import device_name, non_negative_float
from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.files.errors import RD4ADError
from rd4ad.implementations.registry import implementation_of
from rd4ad.machine.device import resolve_device, set_deterministic
from rd4ad.machine.numerics import CPU_NUMERICS, apply_cpu_numerics
from rd4ad.training.defaults import CHECKPOINT_MINUTES
from rd4ad.training.hold import VARIABLE as HOLD_VARIABLE
from rd4ad.training.hold import held_epoch, hold_after


def add_execution_arguments(parser: argparse.ArgumentParser) -> None:
    """Where results go and how to run (which does not change what a run is)."""
    g = parser.add_argument_group("execution")
    g.add_argument("--results", required=True, help="root of the run folders (the config's `results:`)")
    g.add_argument("--device", default="auto", type=device_name, help="auto (CUDA when present), cpu, cuda, cuda:N")
    g.add_argument("--cache-dir", default=None, help="folder for decoded uint8 image caches")
    g.add_argument(
        "--nondeterministic",
        action="store_true",
        help="allow nondeterministic kernels (faster on GPU; CI uses the deterministic default)",
    )
    g.add_argument(
        "--cpu-numerics",
        default="native",
        choices=CPU_NUMERICS,
        help="native: this CPU's fastest kernels; pinned: kernels independent of the CPU's ISA and thread count "
        "(rd4ad/machine/numerics.py; the CI config)",
    )


def apply_execution(args: argparse.Namespace) -> None:
    """The process-wide numerics of the execution flags (before any torch computation)."""
    apply_cpu_numerics(args.cpu_numerics)
    set_deterministic(not args.nondeterministic)


def parse_json(text: str, option: str) -> dict:
    """The JSON object given to ``option``; anything else is one clear error."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise RD4ADError(f"{option}: not valid JSON ({err}); pass the entry as the plan writes it") from err
    if not isinstance(data, dict):
        raise RD4ADError(f"{option}: expected a JSON object, got {type(data).__name__}")
    return data


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-json", required=True, help="the run: RunConfig as JSON (rd4ad/contract/run.py)")
    add_execution_arguments(parser)
    parser.add_argument(
        "--checkpoint-minutes",
        type=non_negative_float,
        default=CHECKPOINT_MINUTES,
        help="wall time between resume checkpoints (default %(default)g; 0: after every epoch)",
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        help="run the training forward through torch.compile (off by default; pays off only for long runs on GPU)",
    )


def run(args: argparse.Namespace) -> int:
    run_cfg = RunConfig.from_dict(parse_json(args.run_json, "--run-json"))
    apply_execution(args)
    implementation = implementation_of(run_cfg)
    hold = held_epoch(str(run_cfg.key)) if implementation.resumes else None
    if hold is not None and hold >= run_cfg.epochs:
        raise RD4ADError(
            f"{HOLD_VARIABLE}: run {run_cfg.key} has {run_cfg.epochs} epochs; hold it after an "
            f"earlier one, so that it holds a resume checkpoint"
        )
    print(
        implementation.train(
            run_cfg,
            RunFolder(args.results, run_cfg.key),
            resolve_device(args.device),
            cache_dir=args.cache_dir,
            compile=args.compile,
            numerics=args.cpu_numerics,
            checkpoint_minutes=0 if hold else args.checkpoint_minutes,
            on_epoch_end=hold_after(hold) if hold else None,
        )
    )
    return 0
