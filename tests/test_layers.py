"""Layers go one way: what the report, drift, evaluation and Table 3 import (in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def loaded_after(*modules: str) -> set[str]:
    """Every module loaded by importing ``modules``."""
    code = f"import json, sys\nfor m in {list(modules)!r}: __import__(m)\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("modules, forbidden", [
    (("rd4ad.cli.report", "rd4ad.drift"), ("snakemake", "rd4ad.planner")),
    (("rd4ad.evaluation.evaluate", "rd4ad.complexity"), ("rd4ad.training",)),
])
def test_imports_go_one_way(modules, forbidden):
    loaded = loaded_after(*modules)
    assert [m for m in loaded if m.startswith(forbidden)] == []
