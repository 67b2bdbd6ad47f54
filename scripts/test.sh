#!/usr/bin/env bash
# The test command: creates .venv if missing, makes sure headless Chromium, a C compiler and
# pdflatex are there (the report's rendering test, the pinned-numerics test's VML shim, the LaTeX
# export test), then runs the whole pytest suite, slow tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Debian's chromium for the HTML report test" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; the report rendering test will fail" >&2
fi
if ! command -v cc >/dev/null 2>&1; then
  echo "== installing Debian's gcc for the pinned-numerics test's VML shim (tests/native/vml_spy.c)" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev >/dev/null) \
    || echo "warning: could not install gcc; the pinned-numerics test will fail" >&2
fi
if ! command -v pdflatex >/dev/null 2>&1; then
  echo "== installing Debian's texlive-latex-recommended for the report's LaTeX export test" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq texlive-latex-recommended >/dev/null) \
    || echo "warning: could not install texlive-latex-recommended; the LaTeX export test will fail" >&2
fi
# The suite's temporary folders (trained models, the CI DAG) peak at about 1.2 GB; stop now with
# one clear line rather than with "No space left on device" in the middle of a training test.
tmp=${TMPDIR:-/tmp}
need_mb=2048
free_mb=$(df -Pm "$tmp" | awk 'NR == 2 {print $4}')
if [ "$free_mb" -lt "$need_mb" ]; then
  echo "error: the tests need ${need_mb} MB free in $tmp for their temporary files; it has ${free_mb} MB." \
       "Free some space there or point TMPDIR at a folder with room." >&2
  exit 1
fi
# Two workers (pytest-xdist); the CI DAG runs once for both, its local checks as one group (tests/conftest.py).
# --durations: the slowest tests in every log, so that a slower machine or a costlier test shows where the time went.
exec .venv/bin/python -m pytest -n 2 --dist loadgroup --durations=20 "$@"
