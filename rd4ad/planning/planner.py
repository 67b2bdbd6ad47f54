"""Plan the workflow: the run config and config/tables.yaml in, a ``Plan`` (rd4ad/planning/plan.py) out.

Which runs (dataset × category × variant × seed) every table needs, deduplicated so that a run
several tables read is trained once, and which variants Table 3 measures. The run config is
validated here, once, against workflow/schemas/config.schema.yaml, whose ``variant`` entry is
completed by the knobs of ``RunConfig`` (rd4ad/contract/run.py); the defaults are filled from the schema.
Used by the Snakefile and ``python -m rd4ad plan``; the report and the jobs read the plan file.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

from rd4ad.contract.factory import factory_digest
from rd4ad.contract.layout import RunKey, plan_file
from rd4ad.contract.run import RunConfig, knob_schema, knobs
from rd4ad.files.errors import RD4ADError
from rd4ad.files.io import read_mapping
from rd4ad.files.names import SCHEMA
from rd4ad.implementations.registry import implementation_of
from rd4ad.planning.config_errors import schema_error_message
from rd4ad.planning.plan import AUDIT_DATASET, BEYOND, Measurement, Plan, PlannedRun, audit_pairs, variant_categories
from rd4ad.planning.schema_defaults import fill_defaults
from rd4ad.published import TABLES
from rd4ad.published.metrics import COMPLEXITY_METRICS
from rd4ad.published.tables import AUDIT, read_tables
from rd4ad.training.defaults import CHECKPOINT_MINUTES

TABLES_SOURCE = "config/tables.yaml"  # how errors name the tables file


def load_yaml(path: str | Path) -> dict:
    """A YAML mapping from ``path``."""
    return read_mapping(path, "give an existing YAML file with a mapping at the top level")


def load_schema() -> dict:
    """The config schema, its ``variant`` entry completed by the knobs of ``RunConfig``, the
    checkpoint interval's default by the training loop's."""
    schema = load_yaml(SCHEMA)
    schema["properties"]["checkpoint_minutes"]["default"] = CHECKPOINT_MINUTES
    variant, run_knobs = schema["$defs"]["variant"], knob_schema()
    variant["properties"].update(run_knobs["properties"])
    variant["required"] = run_knobs["required"]
    return schema


def _filling_defaults(validator_class):
    """``validator_class`` that also fills each missing property that has a ``default`` (a copy of it)."""
    from jsonschema import validators

    check_properties = validator_class.VALIDATORS["properties"]

    def properties(validator, props, instance, schema):
        if validator.is_type(instance, "object"):
            for name, sub in props.items():
                if "default" in sub:
                    instance.setdefault(name, copy.deepcopy(sub["default"]))
        yield from check_properties(validator, props, instance, schema)

    return validators.extend(validator_class, {"properties": properties})


def resolve_config(raw: dict, source: str = "run config") -> dict:
    """``raw`` validated against the schema with its defaults filled (a copy); ``source`` names it in errors.

    Without ``jsonschema`` (a bare GPU image) the defaults are filled unvalidated, and one line says so."""
    config = copy.deepcopy(raw)
    try:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import best_match
    except ImportError:
        print(f"note: {source}: jsonschema is not installed; its defaults filled, not validated", file=sys.stderr)
        return fill_defaults(config, load_schema())
    error = best_match(_filling_defaults(Draft202012Validator)(load_schema()).iter_errors(config))
    if error is not None:
        raise RD4ADError(schema_error_message(error, source))
    return config


def load_tables(path: str | Path) -> dict:
    """config/tables.yaml (or the file the config's ``tables:`` names): paper tables and ``audit:`` pairs,
    as declared, once validated (rd4ad/published/tables.py)."""
    declared = load_yaml(path)
    unknown = sorted(set(declared) - set(TABLES) - {AUDIT})
    if unknown:
        raise RD4ADError(f"{path}: unknown tables {unknown}; use {list(TABLES)} and {AUDIT!r}")
    read_tables(declared, path)
    return declared


def _check(config: dict, kind: str, name: str, where: str) -> None:
    if name not in config[kind]:
        raise RD4ADError(
            f"{where} names {kind[:-1]} {name!r}, which the run config's `{kind}:` lacks; "
            f"add it or remove the reference (known: {', '.join(sorted(config[kind]))})"
        )


def _runs(config: dict, datasets, variants, where: str, categories=None, seeds=None) -> set[RunKey]:
    runs = set()
    for dataset in datasets:
        _check(config, "datasets", dataset, where)
        for variant in variants:
            _check(config, "variants", variant, where)
            for category in variant_categories(config, dataset, variant):
                if categories is None or category in categories:
                    runs.update(RunKey(dataset, category, variant, seed) for seed in (seeds or config["seeds"]))
    return runs


def _check_pair(config: dict, name: str, pair: dict) -> None:
    """A pair the run config chose (``audit.pairs``) for an audit named after a run knob (loss,
    precision, …) must differ in that knob."""
    if name not in config["audit"]["pairs"] or name not in {f.name for f in knobs()}:
        return
    for role in ("reference", "alternative"):
        _check(config, "variants", pair[role], f"audit pair {name!r}")
    ref, alt = (config["variants"][pair[role]][name] for role in ("reference", "alternative"))
    if ref == alt:
        raise RD4ADError(
            f"audit pair {name!r}: variants {pair['reference']!r} and {pair['alternative']!r} both have "
            f"{name}: {ref}; give the pair variants that differ in {name} (run config audit.pairs "
            f"or config/tables.yaml audit.{name})"
        )


def beyond_runs(config: dict) -> dict[str, list[RunKey]]:
    """``beyond:<dataset>`` → the runs of the config's ``beyond:`` section: its variant on every category of
    that dataset role, with its seeds (null: the config's), sorted; none when it names no dataset."""
    beyond = config["beyond"]
    return {
        f"{BEYOND}:{dataset}": sorted(
            _runs(config, [dataset], [beyond["variant"]], f"run config beyond ({dataset})", seeds=beyond["seeds"])
        )
        for dataset in beyond["datasets"]
    }


def table_runs(config: dict, tables: dict) -> dict[str, list[RunKey]]:
    """Runs each table of ``tables`` (``load_tables``) needs (``audit:<name>`` for the protocol audit pairs,
    ``comparison:<reference>:<candidate>`` for the run config's comparisons: both variants, every category and
    seed; ``beyond:<dataset>`` for the config's ``beyond:`` datasets), sorted."""
    out = {}
    for key, table in read_tables(tables, TABLES_SOURCE).items():
        out[key] = sorted(_runs(config, table.datasets, sorted(table.variants), f"{TABLES_SOURCE} {key}"))
    audit = config["audit"]
    unknown = sorted(set(audit["pairs"]) - set(tables.get("audit", {})))
    if unknown:
        raise RD4ADError(
            f"run config audit.pairs: unknown pairs {unknown}; config/tables.yaml `audit:` declares "
            f"{', '.join(tables.get('audit', {}))}"
        )
    for name, pair in audit_pairs(config, tables).items():
        _check_pair(config, name, pair)
        runs = _runs(
            config,
            [AUDIT_DATASET],
            [pair["reference"], pair["alternative"]],
            f"{TABLES_SOURCE} audit.{name}",
            audit["categories"],
            audit["seeds"],
        )
        out[f"audit:{name}"] = sorted(runs)
    for pair in config["comparisons"]:  # the audit pairs are compared on the audit's runs
        where = f"run config comparisons ({pair['reference']} → {pair['candidate']})"
        out.setdefault(
            f"comparison:{pair['reference']}:{pair['candidate']}",
            sorted(_runs(config, [pair["dataset"]], [pair["reference"], pair["candidate"]], where)),
        )
    return {**out, **beyond_runs(config)}


def complexity_jobs(config: dict, tables: dict) -> list[tuple[str, str]]:
    """(dataset, variant) pairs measured for the tables with complexity metrics (Table 3)."""
    jobs = set()
    for key, table in read_tables(tables, TABLES_SOURCE).items():
        if set(COMPLEXITY_METRICS) & set(table.metrics):
            for dataset in table.datasets:
                _check(config, "datasets", dataset, f"{TABLES_SOURCE} {key}")
                for setting in table.settings:
                    _check(config, "variants", setting.variant, f"{TABLES_SOURCE} {key}")
                    jobs.add((dataset, setting.variant))
    return sorted(jobs)


def run_config(config: dict, key: RunKey) -> RunConfig:
    """The ``RunConfig`` of one run: its dataset entry, its variant's knobs, the config's mode."""
    dataset, variant = config["datasets"][key.dataset], config["variants"][key.variant]
    run = RunConfig(
        dataset=key.dataset,
        category=key.category,
        variant=key.variant,
        seed=key.seed,
        loader=dataset["loader"],
        data_root=dataset["root"],
        protocol=dataset["protocol"],
        demo=config["mode"] == "demo",
        **{f.name: variant[f.name] for f in knobs()},
        model_source=factory_digest(variant["model"]),
    )
    implementation_of(run)  # refuses the knobs its implementation has no switch for
    return run


def make_plan(raw: dict, source: str = "run config", base: Path | None = None) -> Plan:
    """Validate ``raw`` and plan it; ``tables:`` is read relative to the working directory, else to ``base``."""
    config = resolve_config(raw, source)
    tables_path = Path(config["tables"])
    if base is not None and not tables_path.is_absolute() and not tables_path.is_file():
        tables_path = base / tables_path
    tables = load_tables(tables_path)
    users: dict[RunKey, list[str]] = {}
    for table, keys in table_runs(config, tables).items():
        for key in keys:
            users.setdefault(key, []).append(table)
    runs = {str(key): PlannedRun(run_config(config, key), tuple(users[key])) for key in sorted(users)}
    complexity = {}
    for dataset, variant in complexity_jobs(config, tables):
        key = RunKey(dataset, config["datasets"][dataset]["categories"][0], variant, config["seeds"][0])
        measurement = Measurement(run_config(config, key), **config["complexity"])
        complexity[measurement.key] = measurement
    return Plan(plan_file(config["results"]), config, tables, runs, complexity)


def require_extras(plan: Plan, source: str) -> None:
    """One clear error when the plan has runs of an implementation whose extra is not installed (anomalib):
    asked before running the plan, never to plan or price it."""
    for implementation in {implementation_of(planned.run) for planned in plan.runs.values()}:
        implementation.require_extra(source)


def plan_config_file(path: str | Path) -> Plan:
    """``make_plan`` of a config file (its ``tables:`` also found relative to the file's folder)."""
    path = Path(path)
    return make_plan(load_yaml(path), str(path), path.parent)
