"""A train / evaluate job's scheduler time limit (Snakemake's ``runtime`` resource, SLURM's ``--time``).

The estimate ``python -m rd4ad estimate`` wrote into ``<results>/plan.json`` for the run, × the run
config's ``runtime.safety_factor``; where the plan holds no estimate of the run as it is planned now
(never estimated, or the run changed since), the config's fixed ``runtime.<job>_minutes``.
Read by workflow/rules/common.smk without torch.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from rd4ad.contract.run import RunConfig


def run_digest(run: RunConfig) -> str:
    """sha256/12 of the run's description: an estimate holds the one of the run it was made for."""
    return hashlib.sha256(json.dumps(run.to_dict(), sort_keys=True).encode()).hexdigest()[:12]


def stored_estimates(plan_file: str | Path) -> dict[str, dict]:
    """The ``estimates`` of the plan file on disk (none when there is no file or it is not a plan)."""
    try:
        data = json.loads(Path(plan_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    estimates = data.get("estimates", {}) if isinstance(data, dict) else {}
    return estimates if isinstance(estimates, dict) else {}


def job_minutes(run: RunConfig, job: str, estimates: dict[str, dict], runtime: dict) -> int:
    """Minutes to ask for ``job`` (train | evaluate) of ``run``: see the module docstring."""
    entry = estimates.get(str(run.key), {})
    if entry.get("run_digest") == run_digest(run) and f"{job}_s" in entry:
        return max(1, math.ceil(entry[f"{job}_s"] * runtime["safety_factor"] / 60))
    return int(runtime[f"{job}_minutes"])
