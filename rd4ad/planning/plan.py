"""The plan of one workflow, as one file: ``<results>/plan.json`` (docs/architecture.md "Plan").

The workflow's ``plan`` rule writes it once (rd4ad/planning/planner.py makes it from the run config);
the report reads it together with the run folders. It holds the resolved run config
(validated, defaults filled), config/tables.yaml as declared, every planned run — its
``RunConfig``, the tables that read it, the files it produces — and the Table 3 measurements.
Each ``train`` / ``complexity`` job gets its entry (``RunConfig.to_dict()``, ``Measurement.to_dict()``)
whole. ``python -m rd4ad estimate`` adds each run's estimated job seconds (``estimates``, absent from a
plan never estimated, so such a plan's file and digest are as before). This module reads, writes and
answers questions about a plan; it does not plan.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from rd4ad.contract.layout import RunFolder, complexity_file
from rd4ad.contract.run import RunConfig
from rd4ad.files.errors import RD4ADError
from rd4ad.files.io import atomic_write_text, read_mapping
from rd4ad.published import TABLES
from rd4ad.published.tables import TableSpec, read_tables

FORMAT = 1
AUDIT_DATASET = "mvtec"  # the tables.yaml `audit:` pairs are trained on the MVTec categories
BEYOND = "beyond"  # the run config's section of datasets beyond the paper; its runs' users are beyond:<dataset>
REPLAN = "write it again: run the workflow (its `plan` rule) or python -m rd4ad plan --config CONFIG --write"


@dataclass(frozen=True)
class PlannedRun:
    """A run and the tables that read it (``audit:<pair>``: the protocol audit; ``beyond:<dataset>``: beyond
    the paper)."""

    run: RunConfig
    tables: tuple[str, ...]


def measurement_key(dataset: str, variant: str) -> str:
    return f"{dataset}/{variant}"


@dataclass(frozen=True)
class Measurement:
    """A Table 3 measurement: the untrained model of a variant (its first category and seed)."""

    run: RunConfig
    repeats: int
    warmup: int

    def __post_init__(self) -> None:
        if self.repeats < 1 or self.warmup < 0:
            raise RD4ADError(
                f"Table 3 measurement: 'repeats' must be >= 1 and 'warmup' >= 0, got {self.repeats} and {self.warmup}"
            )

    @property
    def key(self) -> str:
        return measurement_key(self.run.dataset, self.run.variant)

    def to_dict(self) -> dict:
        return {"run": self.run.to_dict(), "repeats": self.repeats, "warmup": self.warmup}

    @classmethod
    def from_dict(cls, data: dict) -> Measurement:
        try:
            return cls(RunConfig.from_dict(data["run"]), int(data["repeats"]), int(data["warmup"]))
        except (KeyError, TypeError, ValueError) as err:
            raise RD4ADError(
                f"Table 3 measurement: needs run, repeats and warmup ({err!r}); pass the entry as the plan writes it"
            ) from err


def _planned_run(key: str, entry: dict) -> RunConfig:
    """The run of a plan file's entry, which must sit under its own key and list the layout's files
    (a tampered entry could point the report elsewhere)."""
    run = RunConfig.from_dict(entry["run"])
    if key != str(run.key) or entry["files"] != RunFolder(".", run.key).files(audit=run.eval_every > 0):
        raise RD4ADError(f"run entry {key!r} is not the one planned for run {run.key} (its key or files differ)")
    return run


def audit_pairs(config: dict, declared: dict) -> dict[str, dict]:
    """The protocol audit pairs: config/tables.yaml ``audit:``, each ``reference`` / ``alternative``
    replaced where the run config's ``audit.pairs`` names other variants for that pair (the demo
    and CI configs measure bf16 on a small pair of their own, not on their fp32 headline)."""
    chosen = config.get("audit", {}).get("pairs", {})
    return {name: {**pair, **chosen.get(name, {})} for name, pair in declared.get("audit", {}).items()}


@dataclass(frozen=True)
class DatasetRole:
    """A dataset role of the run config (``datasets:``): where its data comes from and its categories."""

    name: str
    loader: str
    root: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class AuditPair:
    """A protocol audit pair (config/tables.yaml ``audit:``): the public code's choice against the paper's."""

    name: str
    title: str
    reference: str
    alternative: str


@dataclass(frozen=True)
class BeyondRuns:
    """The run config's ``beyond:`` section: ``variant`` trained on every category of each of ``datasets``."""

    variant: str
    datasets: tuple[str, ...]
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class ComparisonPair:
    """A paired comparison, candidate against reference, on the categories and seeds of ``dataset``."""

    title: str
    reference: str
    candidate: str
    dataset: str


def comparison_pairs(config: dict, declared: dict) -> list[dict]:
    """The paired comparisons: the run config's ``comparisons:``, then each protocol audit pair
    (``audit_pairs``) as reference → candidate on the audit's dataset, a pair named twice once;
    each with ``reference``, ``candidate``, ``dataset`` and ``title``."""
    listed = [
        {"dataset": AUDIT_DATASET, "title": f"{c['candidate']} vs {c['reference']}", **c}
        for c in config.get("comparisons", [])
    ]
    listed += [
        {
            "reference": pair["reference"],
            "candidate": pair["alternative"],
            "dataset": AUDIT_DATASET,
            "title": pair.get("title", name),
        }
        for name, pair in audit_pairs(config, declared).items()
    ]
    unique: dict[tuple, dict] = {}
    for c in listed:
        unique.setdefault((c["dataset"], c["reference"], c["candidate"]), c)
    return list(unique.values())


def variant_categories(config: dict, dataset: str, variant: str | None = None) -> list[str]:
    """Categories of a dataset role, restricted to those ``variant`` trains on (its ``categories:``)."""
    only = config["variants"].get(variant, {}).get("categories")
    return [str(c) for c in config["datasets"].get(dataset, {}).get("categories", []) if only is None or c in only]


@dataclass(frozen=True)
class Plan:
    """What one workflow runs; ``results`` is the folder of the plan file."""

    path: Path
    config: dict  # the run config, validated, defaults filled
    declared: dict  # config/tables.yaml as written (tables and `audit:` pairs)
    runs: dict[str, PlannedRun]  # str(RunKey) → planned run
    complexity: dict[str, Measurement]  # "<dataset>/<variant>" → Table 3 measurement
    estimates: dict[str, dict] = field(default_factory=dict)  # str(RunKey) → rd4ad/cost/estimate.py's entry

    @property
    def results(self) -> Path:
        return self.path.parent

    def folder(self, key: str) -> RunFolder:
        return RunFolder(self.results, self.run(key).key)

    def run(self, key: str) -> RunConfig:
        """The planned run ``<dataset>/<category>/<variant>/seed<k>``."""
        if key not in self.runs:
            raise RD4ADError(
                f"{self.path}: no planned run {key!r}; `python -m rd4ad plan --config CONFIG` lists the planned runs"
            )
        return self.runs[key].run

    def measurement(self, dataset: str, variant: str) -> Measurement:
        key = measurement_key(dataset, variant)
        if key not in self.complexity:
            raise RD4ADError(
                f"{self.path}: no planned Table 3 measurement {key!r} (planned: {', '.join(self.complexity) or 'none'})"
            )
        return self.complexity[key]

    def complexity_file(self, measurement: Measurement) -> Path:
        return complexity_file(self.results, measurement.run.dataset, measurement.run.variant)

    @property
    def mode(self) -> str:
        return self.config["mode"]

    @property
    def demo(self) -> bool:
        return self.mode == "demo"

    @property
    def datasets(self) -> dict[str, dict]:
        return self.config["datasets"]

    @property
    def variants(self) -> tuple[str, ...]:
        """The run config's variants, in its order."""
        return tuple(self.config["variants"])

    def variant_run(self, variant: str) -> RunConfig | None:
        """The first planned run of ``variant`` (its knobs are the variant's), None if it has none."""
        return next((p.run for p in self.runs.values() if p.run.variant == variant), None)

    @property
    def dataset_roles(self) -> list[DatasetRole]:
        return [
            DatasetRole(name, entry.get("loader", ""), entry.get("root", ""), tuple(self.categories(name)))
            for name, entry in self.datasets.items()
        ]

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(self.config["seeds"])

    @property
    def tolerance(self) -> dict[str, float]:
        return {str(k): float(v) for k, v in self.config["tolerance"].items()}

    @property
    def pro_reproduction(self) -> str:
        """Which PRO counts as the reproduction of a printed one: ``public`` or ``exact`` (config)."""
        if "pro_reproduction" not in self.config:
            raise RD4ADError(f"{self.path}: written before the config key pro_reproduction existed; {REPLAN}")
        return self.config["pro_reproduction"]

    @cached_property
    def tables(self) -> dict[str, TableSpec]:
        """The declared paper tables, in the paper's order."""
        try:
            specs = read_tables(self.declared, self.path)
        except RD4ADError as err:
            raise RD4ADError(f"{err}; {REPLAN}") from err
        return {key: specs[key] for key in TABLES if key in specs}

    @property
    def audit(self) -> dict[str, AuditPair]:
        """The protocol audit pairs (``reference`` vs ``alternative`` variant): ``audit_pairs``."""
        return {
            name: AuditPair(name, pair["title"], pair["reference"], pair["alternative"])
            for name, pair in audit_pairs(self.config, self.declared).items()
        }

    @property
    def comparisons(self) -> list[ComparisonPair]:
        """The paired comparisons (config ``comparisons:`` and the audit pairs): ``comparison_pairs``."""
        return [
            ComparisonPair(c["title"], c["reference"], c["candidate"], c["dataset"])
            for c in comparison_pairs(self.config, self.declared)
        ]

    @property
    def beyond(self) -> BeyondRuns:
        """The config's ``beyond:`` section (no datasets in a plan written before it existed)."""
        section = self.config.get(BEYOND) or {}
        return BeyondRuns(
            section.get("variant", ""), tuple(section.get("datasets", ())), tuple(section.get("seeds") or self.seeds)
        )

    @property
    def audit_seeds(self) -> tuple[int, ...]:
        """Seeds of the audit's alternative variants (config ``audit.seeds``; null = all)."""
        return tuple(self.config["audit"].get("seeds") or self.seeds)

    def categories(self, dataset: str, variant: str | None = None) -> list[str]:
        return variant_categories(self.config, dataset, variant)

    def audit_categories(self, variant: str) -> list[str]:
        """Categories an audit pair is compared on (config ``audit.categories``; null = all)."""
        chosen = self.config["audit"].get("categories")
        return [c for c in self.categories(AUDIT_DATASET, variant) if chosen is None or c in chosen]

    def to_dict(self) -> dict:
        runs = {
            key: {
                "run": p.run.to_dict(),
                "tables": list(p.tables),
                "files": RunFolder(".", p.run.key).files(audit=p.run.eval_every > 0),
            }
            for key, p in self.runs.items()
        }
        complexity = {
            key: {**m.to_dict(), "file": str(complexity_file(".", m.run.dataset, m.run.variant))}
            for key, m in self.complexity.items()
        }
        estimates = {"estimates": self.estimates} if self.estimates else {}
        return {
            "format": FORMAT,
            "config": self.config,
            "tables": self.declared,
            "runs": runs,
            "complexity": complexity,
            **estimates,
        }

    def with_estimates(self, estimates: dict[str, dict]) -> Plan:
        """This plan with ``estimates`` of its runs (``python -m rd4ad estimate``)."""
        unknown = sorted(set(estimates) - set(self.runs))
        if unknown:
            raise RD4ADError(f"{self.path}: estimates of runs it does not plan: {', '.join(unknown[:3])}")
        return replace(self, estimates=dict(estimates))

    def to_json(self) -> str:
        """The plan file's text; keys keep their order (the paper's printed order of config/tables.yaml)."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @property
    def digest(self) -> str:
        """sha256/12 of the whole plan: the report's plan hash, and what reruns the `plan` rule."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:12]

    def write(self) -> Path:
        return atomic_write_text(self.path, self.to_json())

    @classmethod
    def read(cls, path: str | Path) -> Plan:
        """The plan written at ``path``; a missing or foreign file is one clear error."""
        path = Path(path)
        data = read_mapping(path, REPLAN, missing="no plan")
        if data.get("format") != FORMAT:
            raise RD4ADError(f"{path}: not a plan of format {FORMAT}; {REPLAN}")
        try:
            runs = {
                key: PlannedRun(_planned_run(key, entry), tuple(entry["tables"])) for key, entry in data["runs"].items()
            }
            complexity = {key: Measurement.from_dict(entry) for key, entry in data["complexity"].items()}
            return cls(path, data["config"], data["tables"], runs, complexity).with_estimates(data.get("estimates", {}))
        except (KeyError, TypeError, AttributeError) as err:
            raise RD4ADError(f"{path}: not a complete plan (no {err}); {REPLAN}") from err
        except RD4ADError as err:
            raise RD4ADError(f"{path}: {err}; {REPLAN}") from err
