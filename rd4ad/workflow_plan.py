"""Plan the Snakemake DAG from the run config and config/tables.yaml (pure Python, no Snakemake).

Which runs (dataset × category × variant × seed) every table needs, deduplicated so a run
shared by several tables is trained once; the complexity measurements of Table 3; the files
the report reads; and the CLI flags of one run. The Snakefile only wires these into rules.
"""

from __future__ import annotations

import copy
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

from rd4ad.errors import RD4ADError

SCHEMA = Path(__file__).resolve().parents[1] / "workflow" / "schemas" / "config.schema.yaml"
COMPLEXITY_METRICS = frozenset({"infer_s", "memory_mb"})
AUDIT_DATASETS = ("mvtec",)  # tables.yaml `audit:` pairs are trained on the MVTec categories


@dataclass(frozen=True, order=True)
class Run:
    """One trained model: results/<dataset>/<category>/<variant>/seed<seed>/."""

    dataset: str
    category: str
    variant: str
    seed: int

    def folder(self, results: str) -> str:
        return f"{results}/{self.dataset}/{self.category}/{self.variant}/seed{self.seed}"


def one_of(names) -> str:
    """A Snakemake wildcard regex matching exactly ``names`` (matching nothing when empty)."""
    return "|".join(re.escape(n) for n in sorted(set(names))) or "(?!)"


def resolve_config(raw: dict, source: str = "the run config") -> dict:
    """Validate ``raw`` (read from ``source``) against workflow/schemas/config.schema.yaml and fill
    its defaults (a copy)."""
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    from rd4ad.config_errors import schema_error_message

    config = copy.deepcopy(raw)
    try:
        validate(config, str(SCHEMA))
    except WorkflowError as err:
        raise RD4ADError(schema_error_message(err, source)) from err
    return config


def load_yaml(path: str | Path) -> dict:
    """A YAML mapping from ``path``."""
    path = Path(path)
    if not path.is_file():
        raise RD4ADError(f"{path}: no such file; give an existing YAML file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise RD4ADError(f"{path}: not valid YAML ({' '.join(str(err).split())[:200]})") from err
    if not isinstance(data, dict):
        raise RD4ADError(f"{path}: expected a YAML mapping at the top level")
    return data


def _check(config: dict, kind: str, name: str, where: str) -> dict:
    if name not in config[kind]:
        raise RD4ADError(f"{where} names {kind[:-1]} {name!r}, which the run config's `{kind}:` lacks; "
                         f"add it or remove the reference (known: {', '.join(sorted(config[kind]))})")
    return config[kind][name]


def _runs(config: dict, datasets, variants, where: str, categories=None, seeds=None) -> set[Run]:
    runs = set()
    for ds in datasets:
        ds_categories = _check(config, "datasets", ds, where)["categories"]
        for variant in variants:
            only = _check(config, "variants", variant, where).get("categories")
            for cat in ds_categories:
                if (only is None or cat in only) and (categories is None or cat in categories):
                    runs.update(Run(ds, cat, variant, seed) for seed in (seeds or config["seeds"]))
    return runs


def table_runs(config: dict, tables: dict) -> dict[str, list[Run]]:
    """Runs each table needs (``audit:<name>`` for the protocol audit pairs), sorted."""
    out = {}
    for key, table in tables.items():
        if key == "audit":
            continue
        variants = sorted({s["variant"] for s in table["settings"].values()})
        out[key] = sorted(_runs(config, table["datasets"], variants, f"config/tables.yaml {key}"))
    audit = config["audit"]
    for name, pair in tables.get("audit", {}).items():
        runs = _runs(config, AUDIT_DATASETS, [pair["reference"], pair["alternative"]],
                     f"config/tables.yaml audit.{name}", audit["categories"], audit["seeds"])
        out[f"audit:{name}"] = sorted(runs)
    return out


def planned_runs(config: dict, tables: dict) -> list[Run]:
    """Every run of every table, each once."""
    return sorted(set().union(*table_runs(config, tables).values()))


def complexity_jobs(config: dict, tables: dict) -> list[tuple[str, str]]:
    """(dataset, variant) pairs measured for the tables with complexity metrics (Table 3)."""
    jobs = set()
    for key, table in tables.items():
        if key != "audit" and COMPLEXITY_METRICS & set(table["metrics"]):
            for ds in table["datasets"]:
                _check(config, "datasets", ds, f"config/tables.yaml {key}")
                for setting in table["settings"].values():
                    _check(config, "variants", setting["variant"], f"config/tables.yaml {key}")
                    jobs.add((ds, setting["variant"]))
    return sorted(jobs)


def complexity_file(config: dict, dataset: str, variant: str) -> str:
    return f"{config['results']}/{dataset}/complexity/{variant}.json"


def report_inputs(config: dict, tables: dict) -> list[str]:
    """metrics.json of every planned run and every complexity JSON: what the report aggregates."""
    return ([f"{run.folder(config['results'])}/metrics.json" for run in planned_runs(config, tables)]
            + [complexity_file(config, ds, v) for ds, v in complexity_jobs(config, tables)])


def torch_home(config: dict) -> str:
    """TORCH_HOME of every job: the teacher weights live in <resources>/torch/hub/checkpoints."""
    return f"{config['resources']}/torch"


def gpu_job_prefix(config: dict) -> str:
    """What the train / evaluate / complexity commands run under: the teacher cache as TORCH_HOME
    and ``rd4ad.gpu_slots`` pinning the job to a free GPU slot (``jobs_per_gpu`` slots per GPU)."""
    return (f"TORCH_HOME={shlex.quote(torch_home(config))} python -m rd4ad.gpu_slots "
            f"--jobs-per-gpu {config['jobs_per_gpu']} --")


def weights_files(config: dict) -> dict[str, str]:
    """IMAGENET1K_V1 file → backbone, for the variants with ``teacher_weights: imagenet_v1``."""
    backbones = {v["backbone"] for v in config["variants"].values() if v["teacher_weights"] == "imagenet_v1"}
    if not backbones:
        return {}
    from rd4ad.models.weights import teacher_weights_file

    folder = f"{torch_home(config)}/hub/checkpoints"
    return {str(teacher_weights_file(b, folder)): b for b in sorted(backbones)}


def teacher_input(config: dict, variant: str) -> list[str]:
    """The teacher file a run of ``variant`` reads (none for a random teacher)."""
    v = config["variants"][variant]
    if v["teacher_weights"] == "random":
        return []
    if v["teacher_weights"] == "imagenet_v1":
        return [path for path, b in weights_files(config).items() if b == v["backbone"]]
    return [v["teacher_weights"]]


def dataset_ready_file(config: dict, dataset: str) -> list[str]:
    """The marker written once ``dataset`` is fetched or synthesised (none for ``source: none``)."""
    source = config["datasets"][dataset]["source"]
    return [] if source == "none" else [f"{config['resources']}/.prepared/{dataset}.{source}"]


def _flags(pairs) -> str:
    tokens = []
    for key, value in pairs:
        if value is True:
            tokens.append(f"--{key}")
        elif value is not False and value is not None:
            tokens += [f"--{key}", str(value)]
    return shlex.join(tokens)


def option_flags(options: dict) -> str:
    """``{seed: 0, size: 128}`` → ``--seed 0 --size 128`` (booleans become bare flags)."""
    return _flags((k.replace("_", "-"), v) for k, v in options.items())


def execution_flags(config: dict) -> str:
    """Flags shared by train / evaluate / complexity: decoded-image cache, determinism, CPU numerics."""
    return _flags([("cache-dir", f"{config['resources']}/cache"),
                   ("nondeterministic", config["nondeterministic"]), ("cpu-numerics", config["cpu_numerics"])])


def run_flags(config: dict, dataset: str, category: str, variant: str, seed: int) -> str:
    """Flags of ``python -m rd4ad train`` for one run (docs/architecture.md "CLI"), without --out."""
    ds = config["datasets"][dataset]
    v = config["variants"][variant]
    flags = _flags([
        ("dataset", ds["loader"]), ("data-root", ds["root"]), ("category", category), ("variant", variant),
        ("backbone", v["backbone"]), ("teacher-weights", v["teacher_weights"]), ("bottleneck", v["bottleneck"]),
        ("decoder-blocks", v["decoder_blocks"]), ("loss", v["loss"]), ("image-size", v["image_size"]),
        ("epochs", v["epochs"]), ("lr", v["lr"]), ("batch-size", v["batch_size"]), ("seed", seed),
        ("score", v["score"]), ("fast", v["fast"]), ("demo", config["mode"] == "demo"),
    ])
    if ds["protocol"]:
        flags += " --protocol " + shlex.join(f"{k}={x}" for k, x in ds["protocol"].items())
    return flags


def train_flags(config: dict, dataset: str, category: str, variant: str, seed: int) -> str:
    """``run_flags`` plus the training-only flags (checkpoints, the every-N-epochs test audit)."""
    v = config["variants"][variant]
    return " ".join([run_flags(config, dataset, category, variant, seed),
                     _flags([("checkpoint-every", v["checkpoint_every"]), ("eval-every", v["eval_every"])]),
                     execution_flags(config)])


def complexity_flags(config: dict, dataset: str, variant: str) -> str:
    """Flags of ``python -m rd4ad complexity``: a run's flags (first category and seed; no training needed)."""
    category = config["datasets"][dataset]["categories"][0]
    return " ".join([run_flags(config, dataset, category, variant, config["seeds"][0]),
                     option_flags(config["complexity"]), execution_flags(config)])
