"""`python -m rd4ad …` entry point (a per-run job goes to the preload server when one is running)."""

import sys

from rd4ad.machine.preload.client import forward

status = forward(sys.argv[1:])
if status is None:
    from rd4ad.cli import main

    status = main()
raise SystemExit(status)
