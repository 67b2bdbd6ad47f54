"""Protocol audit: paper vs public code, each difference measured on the runs that exist.

Each comparison is reference → alternative, paired per seed and category. The pairs of
config/tables.yaml ``audit:`` come from extra trained variants — loss (flat cosine of the
public code vs Eq. 1–2), decoder blocks (code [3,4,6] vs supplement [6,4,3]), precision
(bf16 autocast vs fp32) and the end of MFF (plain concatenation vs §3.2's 1×1 conv-BN-ReLU);
PRO definition (exact AUPRO vs the public code's per-image PRO, and vs anomalib ≤ 2.2's AUPRO) and
epoch selection (last epoch vs the best of the every-10 test evaluations, which leaks the test set)
come from the reference runs themselves: the three PRO definitions of the same anomaly maps.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from rd4ad.planning.plan import AUDIT_DATASET, AuditPair, Plan
from rd4ad.published.metrics import PERCENT_METRICS
from rd4ad.report.aggregate import category_groups, headline_variant, summarize, with_averages
from rd4ad.results.frames import seed_matrix, to_percent

ROLES = ("reference", "alternative", "delta")


@dataclass(frozen=True)
class AuditComparison:
    """One audited difference: per category and average, reference / alternative / delta."""

    key: str
    title: str
    reference: str
    alternative: str
    frame: pd.DataFrame  # metric, category, role, n_seeds, mean, std


def paired(reference: pd.DataFrame, alternative: pd.DataFrame, groups: dict[str, list[str]]) -> pd.DataFrame:
    """Mean ± std over seeds of both (categories × seeds) matrices and of their per-seed
    difference ``alternative − reference``, with the group averages appended."""
    parts = {"reference": reference, "alternative": alternative, "delta": alternative - reference}
    frames = [summarize(with_averages(matrix, groups)).assign(role=role) for role, matrix in parts.items()]
    return pd.concat(frames).rename_axis("category").reset_index()


def _compare(categories: list[str], pairs: dict[str, tuple[pd.DataFrame, pd.DataFrame]]) -> pd.DataFrame:
    groups = category_groups(AUDIT_DATASET, categories)
    return pd.concat(
        [paired(ref, alt, groups).assign(metric=metric) for metric, (ref, alt) in pairs.items()], ignore_index=True
    )


def _matrix(
    runs: pd.DataFrame, variant: str, metric: str, categories: list[str], seeds: tuple[int, ...]
) -> pd.DataFrame:
    return seed_matrix(runs, AUDIT_DATASET, variant, metric, None, categories, seeds)


def variant_pair(plan: Plan, runs: pd.DataFrame, pair: AuditPair) -> AuditComparison:
    """A ``tables.yaml`` ``audit:`` pair: the same cells trained with two variants, compared on
    the audit's categories and seeds (config ``audit:``)."""
    ref, alt = pair.reference, pair.alternative
    categories, seeds = plan.audit_categories(alt), plan.audit_seeds
    frame = _compare(
        categories,
        {
            m: (_matrix(runs, ref, m, categories, seeds), _matrix(runs, alt, m, categories, seeds))
            for m in PERCENT_METRICS
        },
    )
    return AuditComparison(pair.name, pair.title, ref, alt, frame)


PRO_ALTERNATIVES = {  # comparison key → (metrics.json key, title, column name) of each other PRO definition
    "pro_definition": (
        "pro_public",
        "PRO: exact AUPRO (FPR ≤ 0.3) vs the public code's per-image PRO",
        "per-image PRO",
    ),
    "pro_anomalib22": (
        "pro_anomalib22",
        "PRO: exact AUPRO (FPR ≤ 0.3) vs anomalib ≤ 2.2's AUPRO (divided by the averaged last FPR)",
        "anomalib ≤ 2.2 AUPRO",
    ),
}


def pro_definition(plan: Plan, runs: pd.DataFrame, variant: str, key: str) -> AuditComparison:
    """Exact MVTec AUPRO (headline) vs another PRO definition of the same maps (``PRO_ALTERNATIVES``)."""
    measure, title, name = PRO_ALTERNATIVES[key]
    categories = plan.categories(AUDIT_DATASET, variant)
    frame = _compare(
        categories,
        {
            "pro": (
                _matrix(runs, variant, "pro", categories, plan.seeds),
                _matrix(runs, variant, measure, categories, plan.seeds),
            )
        },
    )
    return AuditComparison(key, title, "exact AUPRO", name, frame)


def best_of_evaluations(
    audit_epochs: pd.DataFrame, variant: str, metric: str, categories: list[str], seeds: tuple[int, ...]
) -> pd.DataFrame:
    """Per run, the maximum of ``metric`` over the every-N-epoch test evaluations (percent)."""
    rows = audit_epochs[(audit_epochs["dataset"] == AUDIT_DATASET) & (audit_epochs["variant"] == variant)]
    if metric not in rows:
        return pd.DataFrame(index=categories, columns=list(seeds), dtype=float)
    best = rows.groupby(["category", "seed"])[metric].max().unstack("seed") * 100.0
    return best.reindex(index=categories, columns=list(seeds)).astype(float)


def epoch_selection(plan: Plan, runs: pd.DataFrame, audit_epochs: pd.DataFrame, variant: str) -> AuditComparison:
    """Last epoch (headline) vs the best of the test evaluations every N epochs (per metric)."""
    categories = plan.categories(AUDIT_DATASET, variant)
    frame = _compare(
        categories,
        {
            m: (
                _matrix(runs, variant, m, categories, plan.seeds),
                best_of_evaluations(audit_epochs, variant, m, categories, plan.seeds),
            )
            for m in PERCENT_METRICS
        },
    )
    return AuditComparison(
        "epoch_selection",
        "Epoch: last epoch (headline) vs best of the every-10 test evaluations (leaks the test set)",
        "last epoch",
        "best of every 10",
        frame,
    )


def audit_comparisons(plan: Plan, runs: pd.DataFrame, audit_epochs: pd.DataFrame) -> list[AuditComparison]:
    """Every audited difference: the declared pairs, then the PRO definitions and epoch selection;
    ``runs`` as collected (fractions)."""
    runs = to_percent(runs[runs["seed"].isin(plan.seeds)])
    reference = headline_variant(plan, AUDIT_DATASET)
    comparisons = [variant_pair(plan, runs, pair) for pair in plan.audit.values()]
    if reference is not None:
        comparisons += [pro_definition(plan, runs, reference, key) for key in PRO_ALTERNATIVES]
        comparisons.append(epoch_selection(plan, runs, audit_epochs, reference))
    return comparisons
