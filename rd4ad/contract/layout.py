"""Where every file of a results tree and of the resources folder lives: the one owner of the layout.

::

    <results>/plan.json                                 the plan of the workflow (rd4ad/planning/plan.py)
    <results>/<dataset>/<category>/<variant>/seed<k>/   one run (RunFolder; docs/architecture.md)
    <results>/<dataset>/complexity/<variant>.json       a Table 3 measurement
    <results>/logs/                                     logs of the jobs that belong to no run
    <resources>/.prepared/<dataset>.<source>            marker: a dataset role is ready
    <resources>/torch/hub/checkpoints/                  teacher weights (TORCH_HOME = <resources>/torch)
    <resources>/cache/                                  decoded uint8 image caches
    <resources>/logs/                                   logs of the data jobs

Paths are built from strings (Snakemake wildcards such as ``{dataset}`` pass through).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePath

from rd4ad.files.errors import RD4ADError
from rd4ad.files.names import check_name

PLAN = "plan.json"
LOGS = "logs"
_SEED = re.compile(r"seed(-?\d+)")


@dataclass(frozen=True, order=True)
class RunKey:
    """One run: dataset role × category × variant × seed; ``str(key)`` is its folder under the results.

    The one place a run key's parts are checked, whoever makes it (the planner, ``train``'s run,
    ``evaluate --run``, the report reading run folders): each name passes the config's name rule
    (``rd4ad.files.names``: no ``..``, no ``/``, nothing that leaves its folder) and the seed is a
    whole number ≥ 0."""

    dataset: str
    category: str
    variant: str
    seed: int

    def __post_init__(self) -> None:
        for part in ("dataset", "category", "variant"):
            check_name(
                f"run key {self.dataset}/{self.category}/{self.variant}/seed{self.seed}: {part}", getattr(self, part)
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise RD4ADError(
                f"run key {self.dataset}/{self.category}/{self.variant}/seed{self.seed}: the seed "
                f"must be a whole number >= 0"
            )

    @classmethod
    def wildcards(cls) -> RunKey:
        """The key with Snakemake's wildcards ``{dataset}``, ``{category}``, ``{variant}``, ``{seed}`` as its
        parts: a path template for the rules, not a run (so not checked)."""
        key = object.__new__(cls)
        for part in ("dataset", "category", "variant", "seed"):
            object.__setattr__(key, part, f"{{{part}}}")
        return key

    def __str__(self) -> str:
        return f"{self.dataset}/{self.category}/{self.variant}/seed{self.seed}"


def parse(path: str | os.PathLike) -> RunKey:
    """The run of ``path``: a run folder, a file inside one, or a key ``<dataset>/<category>/<variant>/seed<k>``."""
    parts = PurePath(path).parts
    for i in range(len(parts) - 1, 2, -1):
        match = _SEED.fullmatch(parts[i])
        if match:
            return RunKey(*parts[i - 3 : i], int(match.group(1)))
    raise RD4ADError(f"{path}: not a run folder or run key <dataset>/<category>/<variant>/seed<k>")


# What a run folder holds, by name (docs/architecture.md "Run folder").
FILES = {
    "model": "model.pt",  # final student weights and the run (train's declared output, atomic)
    "resume": "resume.pt",  # last epoch checkpoint; not a declared output, so Snakemake keeps it
    "loss": "loss.csv",  # epoch, loss, seconds
    "audit_epochs": "audit_epochs.csv",  # test-set metrics every eval_every epochs (public code's check; audit)
    "scores": "scores.csv",  # image scores of every level subset
    "examples": "examples.npz",  # a few test images with their maps (figures)
    "metrics": "metrics.json",  # every metric of every level subset (evaluate's declared output, last)
}


@dataclass(frozen=True)
class RunFolder:
    """The files of one run: written by ``train`` (model, resume, loss, audit_epochs) and ``evaluate``."""

    results: Path
    key: RunKey

    @property
    def path(self) -> Path:
        return Path(self.results) / str(self.key)

    def file(self, name: str) -> Path:
        """The file ``name`` (a key of ``FILES``)."""
        return self.path / FILES[name]

    model = property(lambda self: self.file("model"))
    resume = property(lambda self: self.file("resume"))
    loss = property(lambda self: self.file("loss"))
    audit_epochs = property(lambda self: self.file("audit_epochs"))
    scores = property(lambda self: self.file("scores"))
    examples = property(lambda self: self.file("examples"))
    metrics = property(lambda self: self.file("metrics"))

    def log(self, step: str) -> Path:
        return self.path / f"{step}.log"

    def benchmark(self, step: str) -> Path:
        return self.path / f"{step}_benchmark.tsv"

    def files(self, audit: bool) -> dict[str, str]:
        """Name → path, relative to the results folder, of every result file (``audit_epochs`` when ``audit``)."""
        return {
            name: f"{self.key}/{file}"
            for name, file in FILES.items()
            if name != "resume" and (audit or name != "audit_epochs")
        }


def run_files(results: str | os.PathLike, name: str) -> list[tuple[RunKey, Path]]:
    """Every file ``name`` (a key of ``FILES``) under ``results``, with its run, sorted by path."""
    found = []
    for path in sorted(Path(results).glob(f"*/*/*/seed*/{FILES[name]}")):
        if _SEED.fullmatch(path.parent.name):
            try:
                found.append((parse(path), path))
            except RD4ADError as err:
                raise RD4ADError(
                    f"{path}: not in a run folder this suite writes ({err}); move it out of {results}"
                ) from err
    return found


def complexity_file(results: str | os.PathLike, dataset: str, variant: str) -> Path:
    """The Table 3 measurement of ``variant`` on ``dataset``."""
    return Path(results) / dataset / "complexity" / f"{variant}.json"


def complexity_files(results: str | os.PathLike) -> list[tuple[str, str, Path]]:
    """``(dataset, variant, path)`` of every Table 3 measurement under ``results``, sorted."""
    return [(path.parts[-3], path.stem, path) for path in sorted(Path(results).glob("*/complexity/*.json"))]


def plan_file(results: str | os.PathLike) -> Path:
    return Path(results) / PLAN


def logs(root: str | os.PathLike) -> Path:
    """``<results>/logs`` or ``<resources>/logs``."""
    return Path(root) / LOGS


@dataclass(frozen=True)
class Resources:
    """Downloads, synthetic data, teacher weights and caches (config ``resources:``)."""

    path: Path

    @property
    def torch_home(self) -> Path:
        """TORCH_HOME of every job."""
        return self.path / "torch"

    @property
    def weights(self) -> Path:
        """Where the IMAGENET1K_V1 teacher files live (torch's hub cache under TORCH_HOME)."""
        return self.torch_home / "hub" / "checkpoints"

    @property
    def cache(self) -> Path:
        return self.path / "cache"

    def marker(self, dataset: str, source: str) -> Path:
        """Written once a dataset role is fetched, synthesised or validated (``source``)."""
        return self.path / ".prepared" / f"{dataset}.{source}"
