"""`python -m rd4ad …` entry point."""

from rd4ad.cli import main

raise SystemExit(main())
