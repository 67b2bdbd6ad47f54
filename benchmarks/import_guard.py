"""Run a script as the GPU machine would: only the standard library, this repository and the packages of
``gpu_machine_packages.txt`` (the machine's image) can be imported; any other top-level package is refused
with ``ModuleNotFoundError``, as it would be there.

    python benchmarks/import_guard.py benchmarks/gpu_check.py --dry …

A module's distribution is found through ``importlib.metadata``; a module found in this repository or in
the standard library's folders (outside any ``site-packages``) is allowed. The guard sets ``RD4AD_IMPORT_GUARD`` so
that the processes the script starts through ``guarded_python()`` run under it too.
"""

from __future__ import annotations

import os
import re
import runpy
import sys
import sysconfig
from importlib import machinery, metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PACKAGES = HERE / "gpu_machine_packages.txt"
GUARD_ENV = "RD4AD_IMPORT_GUARD"
ROOTS = (REPO, *{Path(sysconfig.get_paths()[k]).resolve() for k in ("stdlib", "platstdlib")})


def normal(name: str) -> str:
    """A distribution's name as the package index compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def machine_packages() -> set[str]:
    """The GPU machine's distributions (normalised), from ``gpu_machine_packages.txt``."""
    lines = (line.strip() for line in PACKAGES.read_text().splitlines())
    return {normal(line) for line in lines if line and not line.startswith("#")}


class ImportGuard:
    """A ``sys.meta_path`` finder that refuses the top-level packages the GPU machine lacks."""

    def __init__(self, allowed: set[str]):
        self.allowed = allowed
        self.owners = metadata.packages_distributions()
        self.refused: list[str] = []

    def find_spec(self, name, path=None, target=None):
        if "." in name or name in sys.stdlib_module_names or name in sys.builtin_module_names:
            return None
        spec = machinery.PathFinder.find_spec(name)
        if spec is None:
            return None  # absent here too: ``importlib.util.find_spec`` probes get None, as there
        owners = {normal(d) for d in self.owners.get(name, ())}
        if owners & self.allowed or _ours(spec):
            return None
        self.refused.append(name)
        why = f"{name} ({', '.join(sorted(owners)) or 'no distribution'}) is not on the GPU machine ({PACKAGES.name})"
        return machinery.ModuleSpec(name, Refused(f"import guard: {why}"))


class Refused:
    """The loader of a refused package: importing it raises ``ModuleNotFoundError``."""

    def __init__(self, message: str):
        self.message = message

    def create_module(self, spec):
        raise ModuleNotFoundError(self.message, name=spec.name)

    def exec_module(self, module):
        raise ModuleNotFoundError(self.message, name=module.__name__)


def _ours(spec: machinery.ModuleSpec) -> bool:
    """Whether ``spec`` lies in this repository or in the standard library's folders (``_sysconfigdata…``),
    outside any ``site-packages``."""
    places = [spec.origin] if spec.origin else list(spec.submodule_search_locations or [])
    return any(
        any(Path(p).resolve().is_relative_to(root) for root in ROOTS) and "site-packages" not in Path(p).parts
        for p in places
        if p
    )


def install() -> ImportGuard:
    """Put the guard first on ``sys.meta_path`` (and mark the environment for child processes)."""
    guard = ImportGuard(machine_packages())
    sys.meta_path.insert(0, guard)
    os.environ[GUARD_ENV] = "1"
    return guard


def guarded_python() -> list[str]:
    """The command that starts a Python script as this process runs: under the guard when it is."""
    return [sys.executable, str(HERE / "import_guard.py")] if os.environ.get(GUARD_ENV) else [sys.executable]


if __name__ == "__main__":
    install()
    script, sys.argv = sys.argv[1], sys.argv[1:]
    sys.path[0] = str(Path(script).resolve().parent)
    runpy.run_path(script, run_name="__main__")
