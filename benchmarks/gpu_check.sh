#!/usr/bin/env bash
# The first-GPU check: benchmarks/gpu_check.py (CUDA tests, device vs CPU, fast vs plain path,
# fp32/tf32/bf16 step times, bench_train.py, estimate of config/config.yaml); about 8 minutes on one
# GPU, no data or weights. Writes benchmarks/results/gpu_check_<gpu>.json and .md.
#   benchmarks/gpu_check.sh          # on the GPU machine
#   benchmarks/gpu_check.sh --dry    # CPU, tiny sizes (tests/test_gpu_check.py runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD:$PWD/benchmarks${PYTHONPATH:+:$PYTHONPATH}"
exec "${PYTHON:-python}" benchmarks/gpu_check.py "$@"
