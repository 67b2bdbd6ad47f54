"""The paper's tables as data: config/tables.yaml read into ``TableSpec``s, validated once against
workflow/schemas/tables.schema.yaml. The planner and the report read a table's fields, never its YAML.

Each table declares its printed name, title, layout, datasets, metrics, the published baselines it
compares (``methods``) and its ``settings``: each setting maps a column of the paper (``paper.csv``'s
``setting``) to the variant whose runs fill it, optionally a level subset of Eq. 3 (Table 7).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from rd4ad.files.errors import RD4ADError

SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "tables.schema.yaml"
AUDIT = "audit"  # the key of the protocol audit pairs beside the tables
LAYOUTS = ("categories", "methods", "metrics")


@dataclass(frozen=True)
class Setting:
    """One setting (column group) of a table and the run that fills it."""

    key: str  # paper.csv's `setting`
    variant: str  # key of the run config's `variants:`
    label: str  # what the table prints for it
    level: str | None = None  # level subset of Eq. 3 read from the run's evaluation (Table 7); None: headline
    headline: bool = False  # its variant is the dataset's headline run
    published: bool = True  # the paper prints it (false: anomalib's implementation, measured only)


@dataclass(frozen=True)
class TableSpec:
    """One declared table of the paper (Tables 1–7, supplement Table 2)."""

    key: str  # T1 … T7, S2
    name: str  # as the paper prints it: "Table 4"
    title: str
    layout: str  # one of LAYOUTS
    datasets: tuple[str, ...]
    metrics: tuple[str, ...]
    methods: tuple[str, ...]  # the published baselines in printed order (RD4AD implied)
    settings: tuple[Setting, ...]

    @property
    def headline(self) -> Setting:
        """The setting marked ``headline``, else the first."""
        return next((s for s in self.settings if s.headline), self.settings[0])

    def setting(self, key: str) -> Setting:
        return next(s for s in self.settings if s.key == key)

    @property
    def variants(self) -> set[str]:
        """The variants whose runs fill the table."""
        return {s.variant for s in self.settings}


def _table(key: str, entry: dict) -> TableSpec:
    settings = tuple(
        Setting(
            str(name),
            s["variant"],
            str(s.get("label", name)),
            s.get("level"),
            s.get("headline", False),
            s.get("published", True),
        )
        for name, s in entry["settings"].items()
    )
    return TableSpec(
        key,
        entry["name"],
        entry["title"],
        entry["layout"],
        tuple(entry["datasets"]),
        tuple(entry["metrics"]),
        tuple(entry.get("methods", ())),
        settings,
    )


@cache
def _validator():
    """The schema of config/tables.yaml, read and compiled once per process; None without ``jsonschema``."""
    try:
        from jsonschema import Draft202012Validator
    except ImportError:
        return None

    return Draft202012Validator(yaml.safe_load(SCHEMA.read_text(encoding="utf-8")))


def read_tables(declared: dict, source: str | Path) -> dict[str, TableSpec]:
    """The tables of ``declared`` (config/tables.yaml as loaded; its ``audit:`` pairs are left out), in
    the declared order; a declaration the schema refuses is one error naming ``source`` and the key.
    Without ``jsonschema`` (a bare GPU image, planning the tracked tables CI validates) it is read unvalidated."""
    validator = _validator()
    if validator is not None:
        from jsonschema.exceptions import best_match

        error = best_match(validator.iter_errors(declared))
    if validator is not None and error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise RD4ADError(
            f"{source}: {where}: {error.message} (workflow/schemas/tables.schema.yaml says what each table declares)"
        )
    return {key: _table(key, entry) for key, entry in declared.items() if key != AUDIT}
