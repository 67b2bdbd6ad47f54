#!/usr/bin/env bash
# Create the project's virtual environment in .venv if it is missing (idempotent).
# torch/torchvision are pinned to the releases this suite is tested with; everything
# else comes from pyproject.toml, with the optional extra `anomalib` (the demo's and CI's
# cross-implementation runs) held beside that torch by requirements/anomalib-constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import rd4ad, torch, snakemake, pytest, xdist, snakemake_executor_plugin_slurm, anomalib, ruff, snakefmt" 2>/dev/null; then
  echo "== creating .venv (torch 2.14.1, torchvision 0.29.1, rd4ad + test deps + anomalib 2.7.0)" >&2
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q torch==2.14.1 torchvision==0.29.1
  .venv/bin/python -m pip install -q -e ".[test,anomalib]" -c requirements/anomalib-constraints.txt
fi
