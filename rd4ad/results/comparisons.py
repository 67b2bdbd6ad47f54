"""Comparisons: is a candidate variant better than a reference variant? (docs/comparisons.md)

For every dataset both variants have runs of and every percent metric (image AUROC, pixel AUROC,
AUPRO of each run's headline level subset, in percent): the categories both have, each variant's
values as categories × seeds, paired by seed number (by position in ascending order when the two
share no seed: two trees made with other seeds; ``paired_seeds``) and compared with
``rd4ad.statistics.paired``: per category the mean Δ = candidate − reference with its seed
t-interval, over categories the mean Δ with its hierarchical-bootstrap interval, the signed-rank
p-value, the verdict (better / worse / no evidence) and the smallest detectable Δ. The two
variants may come from two results trees (two machines, two code versions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rd4ad.planning.plan import ComparisonPair, Plan
from rd4ad.published.metrics import PERCENT_METRICS
from rd4ad.results.frames import printed_order, seed_matrix, to_percent
from rd4ad.statistics.paired import SEED, compare_paired

CATEGORY_COLUMNS = ["dataset", "metric", "category", "n", "mean", "low", "high"]
SUMMARY_COLUMNS = [
    "dataset",
    "metric",
    "n_categories",
    "n_values",
    "mean",
    "low",
    "high",
    "p_value",
    "detectable",
    "verdict",
]


@dataclass(frozen=True)
class Comparison:
    """One reference → candidate comparison: per-category Δ rows and one summary row per
    dataset and metric (percentage points)."""

    reference: str
    candidate: str
    categories: pd.DataFrame  # CATEGORY_COLUMNS
    summary: pd.DataFrame  # SUMMARY_COLUMNS

    @property
    def key(self) -> str:
        return f"{self.reference}_vs_{self.candidate}"


def _variant_runs(runs: pd.DataFrame, variant: str) -> pd.DataFrame:
    return runs[(runs["variant"] == variant) & runs["metric"].isin(PERCENT_METRICS)]


def _seeds(runs: pd.DataFrame, dataset: str) -> list[int]:
    return sorted(runs.loc[runs["dataset"] == dataset, "seed"].unique())


def paired_seeds(reference: list[int], candidate: list[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The seed columns of the two matrices: the union of both seed sets when they share a seed
    (seeds paired by number; one tree, or two made with the same seeds), else each variant's own
    seeds in ascending order (paired by position).

    >>> paired_seeds([0, 1, 2], [1, 2]), paired_seeds([0, 1], [111, 112])
    (((0, 1, 2), (0, 1, 2)), ((0, 1), (111, 112)))
    """
    if set(reference) & set(candidate):
        union = tuple(sorted(set(reference) | set(candidate)))
        return union, union
    return tuple(reference), tuple(candidate)


def compare_variants(
    reference_runs: pd.DataFrame, candidate_runs: pd.DataFrame, reference: str, candidate: str, *, seed: int = SEED
) -> Comparison:
    """``reference`` (its runs in ``reference_runs``) against ``candidate`` (in ``candidate_runs``;
    both ``rd4ad.results.tree.collect_runs`` output, fractions) on every dataset and category both
    have; a metric with no values on a dataset (image-only datasets' pixel metrics) is left out."""
    ref, cand = (to_percent(_variant_runs(r, v)) for r, v in ((reference_runs, reference), (candidate_runs, candidate)))
    categories, summaries = [], []
    for dataset in sorted(set(ref["dataset"]) & set(cand["dataset"])):
        shared = set(ref.loc[ref["dataset"] == dataset, "category"]) & set(
            cand.loc[cand["dataset"] == dataset, "category"]
        )
        rows = printed_order(dataset, sorted(shared))
        seeds = paired_seeds(_seeds(ref, dataset), _seeds(cand, dataset))
        for metric in PERCENT_METRICS:
            a, b = (
                seed_matrix(r, dataset, v, metric, None, rows, s).to_numpy(dtype=float)
                for r, v, s in ((ref, reference, seeds[0]), (cand, candidate, seeds[1]))
            )
            if np.isnan(a).all() or np.isnan(b).all():
                continue
            out = compare_paired(a, b, seed=seed)
            categories.append(
                pd.DataFrame({"dataset": dataset, "metric": metric, "category": rows, **out["categories"]})
            )
            summaries.append({"dataset": dataset, "metric": metric, **{c: out[c] for c in SUMMARY_COLUMNS[2:]}})
    per_category = pd.concat(categories, ignore_index=True) if categories else pd.DataFrame(columns=CATEGORY_COLUMNS)
    return Comparison(
        reference, candidate, per_category[CATEGORY_COLUMNS], pd.DataFrame(summaries, columns=SUMMARY_COLUMNS)
    )


def _pp(value: float, sign: bool = False) -> str:
    """Percentage points to 0.01 (no "-0.00"), ``—`` when unknown."""
    if pd.isna(value):
        return "—"
    value = round(float(value), 2) + 0.0
    return f"{value:+.2f}" if sign else f"{value:.2f}"


def interval_text(low: float, high: float) -> str:
    """``[-0.24, +2.24]`` (percentage points), ``—`` when unknown."""
    return "—" if pd.isna(low) or pd.isna(high) else f"[{_pp(low, sign=True)}, {_pp(high, sign=True)}]"


def summary_rows(comparison: Comparison) -> list[list[str]]:
    """The summary as text cells: dataset, metric, categories × seeds, Δ, 95 % interval, p, detectable Δ,
    verdict (for the terminal, summary.md and the HTML page)."""
    rows = []
    for r in comparison.summary.itertuples():
        seeds = f"{r.n_categories} × {r.n_values / r.n_categories:.3g}" if r.n_categories else "0"
        rows.append(
            [
                r.dataset,
                r.metric,
                seeds,
                _pp(r.mean, sign=True),
                interval_text(r.low, r.high),
                "—" if pd.isna(r.p_value) else f"{r.p_value:.3g}",
                _pp(r.detectable),
                r.verdict,
            ]
        )
    return rows


SUMMARY_HEADER = [
    "dataset",
    "metric",
    "categories × seeds",
    "Δ (pp)",
    "95 % interval",
    "p (Wilcoxon)",
    "detectable Δ",
    "verdict",
]


def comparison_text(comparison: Comparison) -> str:
    """A plain-text table of one comparison: its summary, then the per-category Δs."""
    title = f"{comparison.candidate} vs {comparison.reference} (Δ = candidate − reference, percentage points)"
    summary = pd.DataFrame(summary_rows(comparison), columns=SUMMARY_HEADER)
    per_category = comparison.categories.assign(
        mean=comparison.categories["mean"].map(lambda v: _pp(v, sign=True)),
        interval=[interval_text(lo, hi) for lo, hi in zip(comparison.categories["low"], comparison.categories["high"])],
    )[["dataset", "metric", "category", "n", "mean", "interval"]].rename(columns={"n": "seeds", "mean": "Δ (pp)"})
    if summary.empty:
        return f"{title}\nno dataset and category has runs of both variants"
    return "\n".join([title, summary.to_string(index=False), "", "per category:", per_category.to_string(index=False)])


def plan_comparisons(plan: Plan, runs: pd.DataFrame) -> list[tuple[ComparisonPair, Comparison]]:
    """Every comparison of the plan with its numbers (``runs``: ``collect_runs`` output) on the
    plan's seeds and the comparison's dataset."""
    runs = runs[runs["seed"].isin(plan.seeds)]
    out = []
    for pair in plan.comparisons:
        on_dataset = runs[runs["dataset"] == pair.dataset]
        out.append((pair, compare_variants(on_dataset, on_dataset, pair.reference, pair.candidate)))
    return out
