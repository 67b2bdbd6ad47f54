"""Comparisons: is a candidate variant better than a reference variant? (docs/comparisons.md)

For every dataset both variants have runs of and every percent metric (image AUROC, pixel AUROC,
AUPRO of each run's headline level subset, in percent): the categories both have, each variant's
values as categories × seeds on the seeds both have, paired by seed number (``paired_seeds``; the
others are listed as unpaired), and compared with ``rd4ad.statistics.paired``: per category the
mean Δ = candidate − reference with its seed t-interval, over categories the mean Δ with its
t-interval, the sign-flip p-value, its Holm adjustment over the comparison's metrics (the family:
every dataset and metric compared), the verdict (better / worse / no evidence / needs ≥ N) and the
smallest detectable Δ. The two variants may come from two results trees (two machines, two code
versions).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rd4ad.planning.plan import ComparisonPair, Plan
from rd4ad.published.metrics import PERCENT_METRICS
from rd4ad.results.frames import printed_order, seed_matrix, to_percent
from rd4ad.statistics.paired import SEED, compare_paired, family_verdicts

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
    "p_floor",
    "p_holm",
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
    unpaired: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=dict)  # dataset → seeds

    @property
    def key(self) -> str:
        return f"{self.reference}_vs_{self.candidate}"


def _variant_runs(runs: pd.DataFrame, variant: str) -> pd.DataFrame:
    return runs[(runs["variant"] == variant) & runs["metric"].isin(PERCENT_METRICS)]


def _seeds(runs: pd.DataFrame, dataset: str) -> list[int]:
    return sorted(runs.loc[runs["dataset"] == dataset, "seed"].unique())


def paired_seeds(reference: list[int], candidate: list[int]) -> tuple[tuple[int, ...], ...]:
    """The seeds both variants have (paired by number), then those only the reference has and
    those only the candidate has (left out).

    >>> paired_seeds([2, 3, 4], [0, 1, 2]), paired_seeds([0, 1], [111, 112])
    (((2,), (3, 4), (0, 1)), ((), (0, 1), (111, 112)))
    """
    shared = set(reference) & set(candidate)
    return tuple(sorted(shared)), tuple(sorted(set(reference) - shared)), tuple(sorted(set(candidate) - shared))


def compare_variants(
    reference_runs: pd.DataFrame, candidate_runs: pd.DataFrame, reference: str, candidate: str, *, seed: int = SEED
) -> Comparison:
    """``reference`` (its runs in ``reference_runs``) against ``candidate`` (in ``candidate_runs``;
    both ``rd4ad.results.tree.collect_runs`` output, fractions) on every dataset and category both
    have, on the seeds both have; a metric without a paired value on a dataset (image-only datasets'
    pixel metrics) is left out. The compared metrics are one family (Holm)."""
    ref, cand = (to_percent(_variant_runs(r, v)) for r, v in ((reference_runs, reference), (candidate_runs, candidate)))
    compared, unpaired = [], {}
    for dataset in sorted(set(ref["dataset"]) & set(cand["dataset"])):
        shared = set(ref.loc[ref["dataset"] == dataset, "category"]) & set(
            cand.loc[cand["dataset"] == dataset, "category"]
        )
        rows = printed_order(dataset, sorted(shared))
        seeds, only_reference, only_candidate = paired_seeds(_seeds(ref, dataset), _seeds(cand, dataset))
        if only_reference or only_candidate:
            unpaired[dataset] = (only_reference, only_candidate)
        for metric in PERCENT_METRICS:
            a, b = (
                seed_matrix(r, dataset, v, metric, None, rows, seeds).to_numpy(dtype=float)
                for r, v in ((ref, reference), (cand, candidate))
            )
            if not np.isfinite(b - a).any():
                continue
            compared.append((dataset, metric, rows, a, b))
    categories, summaries = [], []
    for dataset, metric, rows, a, b in compared:
        out = compare_paired(a, b, family=len(compared), seed=seed)
        categories.append(pd.DataFrame({"dataset": dataset, "metric": metric, "category": rows, **out["categories"]}))
        summaries.append({"dataset": dataset, "metric": metric, **out})
    summary = pd.DataFrame(summaries, columns=[*SUMMARY_COLUMNS, "n_units"])
    verdicts = family_verdicts(summary["mean"], summary["p_value"], summary["n_units"], summary["n_categories"])
    summary = summary.assign(**verdicts)[SUMMARY_COLUMNS]
    per_category = pd.concat(categories, ignore_index=True) if categories else pd.DataFrame(columns=CATEGORY_COLUMNS)
    return Comparison(reference, candidate, per_category[CATEGORY_COLUMNS], summary, unpaired)


def unpaired_text(comparison: Comparison) -> str:
    """One line per dataset with seeds only one variant has: ``unpaired seeds (left out), mvtec:
    reference 3, 4; candidate 0, 1``; "" when every seed is paired."""

    def listed(seeds: tuple[int, ...]) -> str:
        return ", ".join(map(str, seeds)) or "none"

    return "\n".join(
        f"unpaired seeds (left out), {dataset}: {comparison.reference} {listed(r)}; {comparison.candidate} {listed(c)}"
        for dataset, (r, c) in comparison.unpaired.items()
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
    """The summary as text cells: dataset, metric, categories × seeds, Δ, 95 % interval, Holm-adjusted
    sign-flip p, detectable Δ ("not estimable" when nothing varies or the design is too small), verdict
    (for the terminal, summary.md and the HTML page)."""
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
                "—" if pd.isna(r.p_holm) else f"{r.p_holm:.3g}",
                "not estimable" if pd.isna(r.detectable) else _pp(r.detectable),
                r.verdict,
            ]
        )
    return rows


NOTHING_COMPARED = "nothing to compare: no dataset and category has a seed both variants ran"
SUMMARY_HEADER = [
    "dataset",
    "metric",
    "categories × seeds",
    "Δ (pp)",
    "95 % interval",
    "p (sign-flip, Holm)",
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
        return "\n".join(line for line in (title, NOTHING_COMPARED, unpaired_text(comparison)) if line)
    lines = [title, summary.to_string(index=False), unpaired_text(comparison)]
    return "\n".join([line for line in lines if line] + ["", "per category:", per_category.to_string(index=False)])


def plan_comparisons(plan: Plan, runs: pd.DataFrame) -> list[tuple[ComparisonPair, Comparison]]:
    """Every comparison of the plan with its numbers (``runs``: ``collect_runs`` output) on the
    plan's seeds and the comparison's dataset."""
    runs = runs[runs["seed"].isin(plan.seeds)]
    out = []
    for pair in plan.comparisons:
        on_dataset = runs[runs["dataset"] == pair.dataset]
        out.append((pair, compare_variants(on_dataset, on_dataset, pair.reference, pair.candidate)))
    return out
