"""The tree is linted and formatted as pyproject.toml configures: ruff (lint and format, line length 120)
for the Python, snakefmt for the Snakefile and the rules. Fix with `ruff check --fix . && ruff format .` and
`snakefmt Snakefile workflow/rules`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        [sys.executable, "-m", "ruff", "format", "--no-cache", "--check", "."],
        [str(BIN / "snakefmt"), "--check", "Snakefile", "workflow/rules"],
    ],
    ids=["ruff-check", "ruff-format", "snakefmt"],
)
def test_the_tree_is_clean(command):
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
