"""Check this machine and a run config before a workflow: one line per check, ok / warn / fail with the fix.

torch and CUDA builds, each GPU (memory, native bf16, TF32) or that there is none, the CPU's kernels
and the numerics mode, jobs_per_gpu against GPU memory, free disk at results and resources against
what the plan needs, each dataset (prepared and validated, or where it will be fetched from), the
teacher weights, the anomalib extra, and with --slurm the SLURM controller. Exit status 1 when any
check fails. --offline: what the workflow would download counts as a failure (air-gapped machines).

Example:
  python -m rd4ad doctor --configfile config/config.yaml
"""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--configfile",
        "--config",
        dest="config",
        default="config/config.yaml",
        help="run config YAML (default: config/config.yaml)",
    )
    parser.add_argument("--offline", action="store_true", help="nothing can be downloaded here")
    parser.add_argument("--slurm", action="store_true", help="the SLURM profile will be used: check the cluster")


def run(args: argparse.Namespace) -> int:
    from rd4ad.planning.planner import plan_config_file
    from rd4ad.preflight.checks import run_checks

    checks = run_checks(plan_config_file(args.config), offline=args.offline, with_slurm=args.slurm)
    for check in checks:
        print(check)
    failed = sum(c.status == "fail" for c in checks)
    warned = sum(c.status == "warn" for c in checks)
    print(f"{len(checks)} checks: {failed} failed, {warned} warned")
    return 1 if failed else 0
