"""Layers go one way. Each part of the package (a subpackage, or a module at its root) states in its
docstring which other parts it imports (its "Imports:" paragraph); the import statements of its
modules must stay within that, the parts' declarations must form no cycle, no two modules may import
each other (directly or round a loop), and the package root keeps at most five modules. What the
report, drift, evaluation, Table 3, the train command and planning load in a fresh interpreter is
checked as well."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "rd4ad"
MAX_ROOT_MODULES = 5  # besides __init__ and __main__


def loaded_after(*modules: str) -> set[str]:
    """Every module loaded by importing ``modules``."""
    code = f"import json, sys\nfor m in {list(modules)!r}: __import__(m)\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout))


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
PARTS = {module_name(p): p for p in sorted(PACKAGE.glob("*.py")) if p.stem not in ("__init__", "__main__")} | {
    module_name(p.parent): p for p in sorted(PACKAGE.glob("*/__init__.py"))
}


def part_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def imported_modules(path: Path) -> set[str]:
    """The rd4ad modules an import statement of ``path`` names, at any depth (TYPE_CHECKING too):
    ``from rd4ad.files import io`` names ``rd4ad.files.io``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("rd4ad.")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("rd4ad."):
            submodules = {f"{node.module}.{a.name}" for a in node.names} & MODULES.keys()
            found |= submodules or {node.module}
    return found


def declared_imports(part: str) -> set[str]:
    """The parts named in the "Imports:" paragraph of the part's docstring ("any part": all the others)."""
    doc = ast.get_docstring(ast.parse(PARTS[part].read_text(encoding="utf-8"))) or ""
    paragraph = re.search(r"^Imports:(.*?)(?:\n\n|\Z)", doc, re.M | re.S)
    assert paragraph, f"{PARTS[part].relative_to(REPO)}: its docstring has no 'Imports:' paragraph"
    if paragraph.group(1).strip().startswith("any part"):
        return set(PARTS) - {part}
    return set(re.findall(r"``(rd4ad\.\w+)``", paragraph.group(1)))


def test_the_root_keeps_at_most_five_modules():
    root = sorted(p.name for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__"))
    assert len(root) <= MAX_ROOT_MODULES, root


@pytest.mark.parametrize("part", sorted(PARTS))
def test_a_part_imports_only_what_its_docstring_declares(part):
    declared = declared_imports(part)
    assert declared <= PARTS.keys(), f"{part} declares unknown parts {sorted(declared - PARTS.keys())}"
    used = {part_of(m) for name, path in MODULES.items() if part_of(name) == part for m in imported_modules(path)}
    assert sorted(used - declared - {part}) == [], f"{part} imports parts its docstring does not declare"


def test_declared_layers_form_no_cycle():
    graph = {part: declared_imports(part) for part in PARTS}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        pytest.fail(f"parts import each other round a loop: {error.args[1]}")
    assert order.index("rd4ad.files") == 0 and order[-1] == "rd4ad.cli"


def test_no_two_modules_import_each_other():
    graph = {name: imported_modules(path) & MODULES.keys() for name, path in MODULES.items()}
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        pytest.fail(f"modules import each other round a loop: {error.args[1]}")


def test_imports_are_read_at_any_depth_and_resolved_to_modules(tmp_path):
    """What the checks above see: a submodule imported from its package, a lazy import in a function,
    a TYPE_CHECKING import (a cycle all the same)."""
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nfrom rd4ad.files import io\n"
        "if TYPE_CHECKING:\n    from rd4ad.contract.run import RunConfig\n"
        "def f():\n    import rd4ad.machine.device\n    from rd4ad.models import RD4AD\n"
    )
    assert imported_modules(source) == {"rd4ad.files.io", "rd4ad.contract.run", "rd4ad.machine.device", "rd4ad.models"}


@pytest.mark.parametrize(
    "modules, forbidden",
    [
        (("rd4ad.cli.report", "rd4ad.drift"), ("snakemake", "rd4ad.planning.planner")),
        (("rd4ad.evaluation.evaluate", "rd4ad.evaluation.complexity"), ("rd4ad.training",)),
        (("rd4ad.cli.train",), ("sklearn",)),  # ~1.3 s per train job: only the digits and the audit need it
        (("rd4ad.planning.planner",), ("torch",)),  # every snakemake start parses the plan: ~4 s with torch
    ],
)
def test_imports_go_one_way(modules, forbidden):
    loaded = loaded_after(*modules)
    assert [m for m in loaded if m.startswith(forbidden)] == []
