#!/usr/bin/env bash
# The first-GPU check (benchmarks/gpu_check.py): direct measurements under one deadline, records appended as
# each step completes. Runs with the machine's own python3 and torch: no environment made, nothing installed.
#   bash benchmarks/gpu_check.sh --out "$OUT" --deadline 400    # on the GPU machine, under 7 minutes
#   bash benchmarks/gpu_check.sh --dry --out /tmp/check          # CPU, tiny sizes, under the import guard (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
guard=()
for arg in "$@"; do [[ $arg == --dry ]] && guard=(benchmarks/import_guard.py); done
exec "${PYTHON:-python3}" "${guard[@]}" benchmarks/gpu_check.py "$@"
