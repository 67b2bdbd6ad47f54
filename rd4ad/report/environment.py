"""Where the report was made: torch, CUDA, GPU, git commit and the plan's hash."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

import pandas as pd
import torch

from rd4ad.planning.plan import Plan

REPO = Path(__file__).resolve().parents[2]
PLAN_HASH = "Plan hash (config, tables, runs; sha256/12)"  # the row the page's footer repeats


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_commit() -> str:
    """``HEAD`` of the repository, marked ``+dirty`` when tracked files differ from it."""
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return "unknown (not a git checkout)"
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return f"{commit}{' +dirty' if dirty else ''}"


def gpu_names() -> str:
    """Names of the visible CUDA devices, or 'none'."""
    if not torch.cuda.is_available():
        return "none"
    return ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))


def environment(plan: Plan, runs: pd.DataFrame, complexity: pd.DataFrame) -> dict[str, str]:
    """Label → value, for the report's summary (``runs`` / ``complexity`` as collected)."""
    devices = sorted(set(runs["device"]))
    timed = sorted(set(complexity["device"]))
    return {
        "Python": platform.python_version(),
        "Platform": platform.platform(),
        "torch": torch.__version__,
        "CUDA (torch build)": torch.version.cuda or "none (CPU build)",
        "GPU (report machine)": gpu_names(),
        "Devices of the runs (metrics.json)": ", ".join(devices) or "no runs",
        "Devices of the Table 3 timings": ", ".join(timed) or "not measured",
        "Git commit": git_commit(),
        "Plan": f"{plan.path} (mode {plan.mode})",
        PLAN_HASH: plan.digest,
    }
