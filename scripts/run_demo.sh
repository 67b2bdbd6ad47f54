#!/usr/bin/env bash
# The README's first command: run the whole DAG on the embedded demo data (config/demo.yaml:
# synthetic MVTec-format set, scikit-learn digits, random teachers), creating .venv first
# if it is missing, then print the path of the HTML report. Extra arguments go to snakemake
# (e.g. -n for a dry run). Re-running continues where a killed run stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
export PATH="$PWD/.venv/bin:$PATH"   # the jobs call `python -m rd4ad …`
CORES=${CORES:-$(nproc)}
GPUS=$(python -m rd4ad.machine.gpu_slots --count)
# `gpu` caps the train/evaluate jobs running at once: one per GPU, or one per core on a
# CPU-only machine (there it is only a concurrency limit; each job then uses one thread).
CAP=$(( GPUS > 0 ? GPUS : CORES ))
# On a CPU-only machine the jobs fork from one process that has torch imported (`python -m rd4ad
# preload`): a demo job would otherwise spend as long importing as training.
PRELOAD=()
[ "$GPUS" -gt 0 ] || PRELOAD=(python -m rd4ad preload --)
"${PRELOAD[@]}" snakemake all --cores "$CORES" --resources "gpu=$CAP" --configfile config/demo.yaml "$@"
REPORT=$(python -c "import yaml; print(yaml.safe_load(open('config/demo.yaml'))['report'])")
echo "HTML report: $PWD/$REPORT"
