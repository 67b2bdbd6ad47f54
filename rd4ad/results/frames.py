"""Run frames (``rd4ad.results.tree.collect_runs``) as the tables and comparisons use them: percent as
printed, one (dataset, variant, metric, level) as categories × seeds, categories in the paper's order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rd4ad.published import ROWS
from rd4ad.published.metrics import REGISTRY


def to_percent(runs: pd.DataFrame) -> pd.DataFrame:
    """Fractions of AUROC / PRO metrics (``metrics.json``) → percent, as printed in the paper."""
    scale = np.where(runs["metric"].isin([name for name, m in REGISTRY.items() if m.percent]), 100.0, 1.0)
    return runs.assign(value=runs["value"] * scale)


def seed_matrix(
    runs: pd.DataFrame,
    dataset: str,
    variant: str,
    metric: str,
    level: str | None,
    categories: list[str],
    seeds: tuple[int, ...],
) -> pd.DataFrame:
    """Values of one (dataset, variant, metric, level) as categories × seeds (NaN: no run).

    ``level`` None takes each run's headline subset (Eq. 3 with all levels)."""
    chosen = runs[(runs["dataset"] == dataset) & (runs["variant"] == variant) & (runs["metric"] == metric)]
    chosen = chosen[chosen["level"] == (chosen["headline"] if level is None else level)]
    matrix = chosen.pivot_table(index="category", columns="seed", values="value", aggfunc="first")
    return matrix.reindex(index=categories, columns=list(seeds)).astype(float)


def printed_order(dataset: str, categories: list[str]) -> list[str]:
    """``categories`` in the paper's printed row order (``ROWS``), those it lacks after them as given."""
    printed = ROWS.get(dataset, ())
    return [c for c in printed if c in categories] + [c for c in categories if c not in printed]
