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
  # The venv takes about 6.5 GB (torch's x86_64 wheel bundles CUDA); stop now with one clear line
  # rather than with pip's "No space left on device" halfway through unpacking torch.
  need_mb=7500
  free_mb=$(df -Pm . | awk 'NR == 2 {print $4}')
  if [ "$free_mb" -lt "$need_mb" ]; then
    echo "error: creating .venv needs about ${need_mb} MB free in $PWD; it has ${free_mb} MB." \
         "Free some space there (old clones, /tmp) and run the command again." >&2
    exit 1
  fi
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q torch==2.14.1 torchvision==0.29.1
  .venv/bin/python -m pip install -q -e ".[test,anomalib]" -c requirements/anomalib-constraints.txt
fi
