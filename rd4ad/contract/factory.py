"""A run's own model code: the ``model`` knob naming a factory ``module:function``.

The factory is called with the run's ``RunConfig`` and returns the module the suite trains,
checkpoints and scores like its own RD4AD: ``rd4ad.models.RD4AD``'s interface (``model(x)`` →
teacher features, student features; ``student_modules``, ``trainable_parameters``,
``student_state_dict``, ``frozen_state_dict``, ``load_student_state_dict``). Subclassing RD4AD, or
building the suite's model with ``rd4ad.builders.model.build_suite_model(run)`` and replacing a part, gives all of it.

A config that names a factory names code to run: the train and evaluate jobs import the module
(and its packages) and call the function. The digest of the factory module's source file is part of
the run (``RunConfig.model_source``): editing the file changes the planned run, so Snakemake retrains
the runs that use it and only those. Planning finds and parses the factory's source without running
any of it, its packages' ``__init__.py`` included (a factory module imports torch, which planning never
loads): only the top-level package is looked up (``importlib.util.find_spec`` imports nothing for a
top-level name), each sub-module in its parent's folders. A module that is not on the Python path, is
no Python source file (a built-in, frozen or compiled module), belongs to Python's standard library,
does not parse or lacks the function is refused there; the module is imported when the run builds
its model.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.machinery
import importlib.util
import re
import sysconfig
from collections.abc import Callable
from pathlib import Path

from rd4ad.files.errors import RD4ADError

DEFAULT_MODEL = "rd4ad"  # the suite's RD4AD, built from the run's knobs
FACTORY = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*")
INTERFACE = (
    "forward",
    "student_modules",
    "trainable_parameters",
    "student_state_dict",
    "frozen_state_dict",
    "load_student_state_dict",
)


def check_factory_name(spec: str) -> None:
    """``spec`` is ``rd4ad`` or ``module:function``; else one ``RD4ADError``."""
    if spec != DEFAULT_MODEL and not FACTORY.fullmatch(spec):
        raise RD4ADError(
            f"run config key 'model' = {spec!r}; give {DEFAULT_MODEL} (the suite's RD4AD) or a factory "
            "module:function, e.g. examples.ocbe_width64:build"
        )


def load_factory(spec: str) -> Callable:
    """The function ``spec`` (``module:function``) names, imported; one ``RD4ADError`` saying why it cannot be."""
    check_factory_name(spec)
    module_name, function = spec.split(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as err:  # a factory module may fail in any way: one line, never a traceback
        raise RD4ADError(
            f"model {spec!r}: cannot import {module_name} ({type(err).__name__}: "
            f"{' '.join(str(err).split())[:200]}); run from the folder that holds it or fix it"
        ) from err
    factory = getattr(module, function, None)
    if not callable(factory):
        raise RD4ADError(f"model {spec!r}: {module_name} has no function {function!r}")
    return factory


def _module_spec(spec: str, module_name: str) -> importlib.machinery.ModuleSpec:
    """The spec of ``module_name``, found without importing anything (see the module docstring)."""
    parts = module_name.split(".")
    try:
        found = importlib.util.find_spec(parts[0])
    except (ImportError, ValueError) as err:
        found, why = None, f"{type(err).__name__}: {' '.join(str(err).split())[:200]}"
    else:
        why = f"no module {parts[0]} on the Python path"
    for depth in range(1, len(parts)):
        if found is None:
            break
        if found.submodule_search_locations is None:
            why = f"{'.'.join(parts[:depth])} is a module, not a package"
            found = None
            break
        locations = list(found.submodule_search_locations)
        found = importlib.machinery.PathFinder.find_spec(".".join(parts[: depth + 1]), locations)
        why = f"no module {parts[depth]} in {', '.join(locations)}"
    if found is None:
        raise RD4ADError(
            f"model {spec!r}: cannot import {module_name} ({why}); run from the folder that holds it, or install it"
        )
    return found


def _in_standard_library(source: Path) -> bool:
    paths = sysconfig.get_paths()
    inside = [Path(paths[k]).resolve() for k in ("stdlib", "platstdlib")]
    installed = [Path(paths[k]).resolve() for k in ("purelib", "platlib")]
    resolved = source.resolve()
    return any(resolved.is_relative_to(p) for p in inside) and not any(resolved.is_relative_to(p) for p in installed)


def factory_source(spec: str) -> Path:
    """The source file of ``spec``'s module, found and parsed without running it; one ``RD4ADError``
    when it is not on the Python path, is not a Python source file of the user's, does not parse or
    defines no ``function`` at its top level."""
    check_factory_name(spec)
    module_name, function = spec.split(":")
    found = _module_spec(spec, module_name)
    own_code = "name a module:function of your own model code (a .py file on the Python path)"
    if found.origin in ("built-in", "frozen"):
        raise RD4ADError(
            f"model {spec!r}: {module_name} is a {found.origin} module of Python, not a factory; {own_code}"
        )
    if not found.origin or not found.origin.endswith(".py") or not Path(found.origin).is_file():
        raise RD4ADError(
            f"model {spec!r}: {module_name} ({found.origin or 'a namespace package'}) is no Python source file "
            f"the planner can read; {own_code}"
        )
    source = Path(found.origin)
    if _in_standard_library(source):
        raise RD4ADError(
            f"model {spec!r}: {module_name} is Python's standard library ({source}), not a factory; {own_code}"
        )
    try:
        tree = ast.parse(source.read_bytes(), filename=str(source))
    except SyntaxError as err:
        raise RD4ADError(f"model {spec!r}: cannot import {module_name}: {source} line {err.lineno}: {err.msg}") from err
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    defined |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    defined |= {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}
    if function not in defined:
        raise RD4ADError(f"model {spec!r}: {module_name} ({source}) has no function {function!r}")
    return source


def factory_digest(spec: str) -> str:
    """sha256/16 of the source file of ``spec``'s module ("" for the suite's own model)."""
    if spec == DEFAULT_MODEL:
        return ""
    return hashlib.sha256(factory_source(spec).read_bytes()).hexdigest()[:16]


def checked_model(model, spec: str):
    """``model`` when it has RD4AD's interface; else one ``RD4ADError`` naming what it lacks."""
    missing = [name for name in INTERFACE if not callable(getattr(model, name, None))]
    if missing:
        raise RD4ADError(
            f"model {spec!r} returned a {type(model).__name__} without RD4AD's interface "
            f"(missing {', '.join(missing)}); return an rd4ad.models.RD4AD or a subclass"
        )
    return model
