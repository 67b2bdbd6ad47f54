#!/usr/bin/env bash
# The test command: creates .venv if missing, makes sure headless Chromium is there
# (the report's rendering test), then runs the whole pytest suite, slow tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Debian's chromium for the HTML report test" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; the report rendering test will fail" >&2
fi
exec .venv/bin/python -m pytest "$@"
