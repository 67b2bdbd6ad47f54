"""The run configuration (validated, defaults filled) and ``config/tables.yaml``, as the report reads them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from rd4ad.errors import RD4ADError
from rd4ad.published import TABLES
from rd4ad.workflow_plan import AUDIT_DATASETS, load_yaml, resolve_config

AUDIT_DATASET = AUDIT_DATASETS[0]


@dataclass(frozen=True)
class ReportConfig:
    """Run configuration as the report needs it: which runs exist and how cells are judged."""

    path: Path
    resolved: dict          # the run config after schema validation (workflow_plan.resolve_config)
    declared: dict          # config/tables.yaml as written (tables and `audit:` pairs)
    digest: str

    @property
    def mode(self) -> str:
        return self.resolved["mode"]

    @property
    def demo(self) -> bool:
        return self.mode == "demo"

    @property
    def datasets(self) -> dict[str, dict]:
        return self.resolved["datasets"]

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(self.resolved["seeds"])

    @property
    def tolerance(self) -> dict[str, float]:
        return {str(k): float(v) for k, v in self.resolved["tolerance"].items()}

    @property
    def tables(self) -> dict[str, dict]:
        return {key: self.declared[key] for key in TABLES if key in self.declared}

    @property
    def audit(self) -> dict[str, dict]:
        return self.declared.get("audit", {})

    @property
    def audit_seeds(self) -> tuple[int, ...]:
        """Seeds of the audit's alternative variants (config ``audit.seeds``; null = all)."""
        return tuple(self.resolved["audit"].get("seeds") or self.seeds)

    def categories(self, dataset: str, variant: str | None = None) -> list[str]:
        """Configured categories of a dataset role, restricted to those ``variant`` trains on."""
        only = self.resolved["variants"].get(variant, {}).get("categories")
        return [str(c) for c in self.datasets.get(dataset, {}).get("categories", [])
                if only is None or c in only]

    def audit_categories(self, variant: str) -> list[str]:
        """Categories an audit pair is compared on (config ``audit.categories``; null = all)."""
        chosen = self.resolved["audit"].get("categories")
        return [c for c in self.categories(AUDIT_DATASET, variant) if chosen is None or c in chosen]


def load_report_config(path: str | Path) -> ReportConfig:
    """Read, validate and resolve a run configuration and the table declarations it names."""
    path = Path(path)
    resolved = resolve_config(load_yaml(path), str(path))
    tables_path = Path(resolved["tables"])
    if not tables_path.is_absolute() and not tables_path.is_file():
        tables_path = path.parent / tables_path
    declared = load_yaml(tables_path)
    unknown = sorted(set(declared) - set(TABLES) - {"audit"})
    if unknown:
        raise RD4ADError(f"{tables_path}: unknown tables {unknown}; use {list(TABLES)} and 'audit'")
    digest = hashlib.sha256(json.dumps([resolved, declared], sort_keys=True, default=str).encode()).hexdigest()
    return ReportConfig(path=path, resolved=resolved, declared=declared, digest=digest[:12])
