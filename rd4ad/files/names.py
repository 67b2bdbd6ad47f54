"""Names that become folder names (dataset roles, categories, variants): one safe pattern.

The pattern and its wording are the run config schema's ``$defs.name``
(``workflow/schemas/config.schema.yaml``), so the workflow's validation and ``RunConfig``
accept exactly the same names: no ``..``, no ``/``, nothing that leaves its folder.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

from rd4ad.files.errors import RD4ADError

SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


@functools.cache
def _name_schema() -> dict:
    return yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))["$defs"]["name"]


def check_name(key: str, value: object) -> str:
    """``value`` when it is a valid name, else an ``RD4ADError`` naming ``key`` and the rule."""
    rule = _name_schema()
    if not isinstance(value, str) or re.fullmatch(rule["pattern"], value) is None:
        raise RD4ADError(f"{key} {value!r} is not a valid name: {rule['description']}")
    return value
