"""Cross-implementation: the paper, this suite and anomalib's ReverseDistillation side by side.

The ``implementation`` pair of config/tables.yaml ``audit:`` trains the same cells with this
suite's model and loop (reference) and with anomalib's model and Engine (alternative); both are
scored by this suite's metric code on their own maps and image scores. Per MVTec category and
metric: the published RD4AD value (Tables 1–2, the headline setting), ours and anomalib's
(mean ± std over seeds), the three differences, and anomalib's own metric on the same arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from rd4ad.contract.run import knobs
from rd4ad.planning.plan import AUDIT_DATASET, ComparisonPair, Plan
from rd4ad.published import PAPER_METHOD
from rd4ad.published.metrics import PERCENT_METRICS, label
from rd4ad.report.audit import AuditComparison
from rd4ad.report.display import DisplayTable, fmt, frame_table
from rd4ad.results.comparisons import Comparison

PAIR = "implementation"  # the tables.yaml audit pair that trains both implementations


@dataclass(frozen=True)
class Difference:
    """One known difference between this suite (the public code) and anomalib 2.7.0's ReverseDistillation."""

    what: str
    ours: str
    anomalib: str
    knob: str = ""  # the run knob that switches it alone here ("" none): a comparison of two variants
    #                 that differ in that knob only measures it


KNOWN_DIFFERENCES = (
    Difference(
        "OCBE width (wide_resnet50_2)",
        "128 (the public code's wide Bottleneck)",
        "64 (plain Bottleneck); identical for resnet18 (BasicBlocks have no width)",
        "model",
    ),
    Difference("Adam betas", "(0.5, 0.999)", "(0.5, 0.99)", "adam_beta2"),
    Difference(
        "Precision (paper config)",
        "tf32, the public code's (fp32 in the paper); bf16 audited",
        "fp32",
        "precision",
    ),
    Difference(
        "Teacher weights",
        "torchvision IMAGENET1K_V1 via `fetch weights` (random in the demo)",
        "timm's download at construction; here the same torchvision tensors mapped into its encoder",
    ),
    Difference("Batch size", "16 (public code)", "32 (its MVTec datamodule's default)", "batch_size"),
    Difference(
        "Anomaly map border",
        "Σ of 1 − cos over 3 levels, bilinear (align_corners), Gaussian σ = 4, kernel 33, scipy's 'reflect' border",
        "the same sum and upsampling, kornia's Gaussian σ = 4, kernel 33, 'reflect' "
        "border (the edge pixel not repeated)",
        "map_border",
    ),
    Difference("Resuming", "resume.pt every few minutes; a killed run continues", "none: a killed run trains again"),
)
NOT_MEASURED = "not measured here (no comparison in the config switches it alone)"


def headline_published(plan: Plan, published: pd.DataFrame) -> pd.Series:
    """RD4AD's printed value per (category, metric) in the headline setting of Tables 1–2."""
    parts = []
    for table, spec in plan.tables.items():
        if AUDIT_DATASET not in spec.datasets or not set(spec.metrics) <= set(PERCENT_METRICS):
            continue
        head = next((s.key for s in spec.settings if s.headline), None)
        chosen = published[
            (published["table"] == table)
            & (published["method"] == PAPER_METHOD)
            & (published["setting"] == str(head))
            & (published["dataset"] == AUDIT_DATASET)
        ]
        parts.append(chosen.set_index(["category", "metric"])["value"])
    return pd.concat(parts) if parts else pd.Series(dtype=float)


def cross_implementation_frame(
    comparison: AuditComparison, own: pd.DataFrame, published: pd.Series, seeds: tuple[int, ...]
) -> pd.DataFrame:
    """One row per (category, metric) with a run: paper, ours ± s, anomalib ± s, their deltas and anomalib's own
    value (``own``: ``collect_anomalib_metrics``, mean over ``seeds``), all in percent."""
    frame = comparison.frame.set_index(["metric", "category", "role"])
    own = own[(own["variant"] == comparison.alternative) & own["seed"].isin(seeds)]
    own_mean = own.groupby(["category", "metric"])["value"].mean() * 100.0  # fractions → percent
    rows = []
    for metric in dict.fromkeys(comparison.frame["metric"]):
        for category in dict.fromkeys(comparison.frame["category"]):
            ref, alt, delta = (frame.loc[(metric, category, role)] for role in ("reference", "alternative", "delta"))
            if ref["n_seeds"] == 0 and alt["n_seeds"] == 0:
                continue  # a printed average none of whose categories ran
            paper = published.get((category, metric), float("nan"))
            rows.append(
                {
                    "category": category,
                    "metric": label(metric),
                    "paper": fmt(paper, metric),
                    "ours": fmt(ref["mean"], metric, ref["std"]),
                    "anomalib RD": fmt(alt["mean"], metric, alt["std"]),
                    "Δ ours − paper": fmt(ref["mean"] - paper, metric, sign=True),
                    "Δ anomalib − paper": fmt(alt["mean"] - paper, metric, sign=True),
                    "Δ anomalib − ours": fmt(delta["mean"], metric, delta["std"], sign=True),
                    "anomalib's own metric": fmt(own_mean.get((category, metric), float("nan")), metric),
                }
            )
    return pd.DataFrame(rows)


def differing_knobs(plan: Plan, pair: ComparisonPair) -> set[str]:
    """The knobs in which a comparison's candidate differs from its reference (their planned runs')."""
    reference, candidate = plan.variant_run(pair.reference), plan.variant_run(pair.candidate)
    if reference is None or candidate is None:
        return set()
    return {f.name for f in knobs() if getattr(reference, f.name) != getattr(candidate, f.name)}


def measured_text(difference: Difference, plan: Plan, compared: list[tuple[ComparisonPair, Comparison]]) -> str:
    """What a difference alone changes: the first planned comparison whose variants differ in its knob
    only, as mean Δ per metric (candidate − reference, pp) and the verdict over its categories and seeds."""
    for pair, comparison in compared:
        if difference.knob and differing_knobs(plan, pair) == {difference.knob} and len(comparison.summary):
            summary = comparison.summary
            deltas = " / ".join(f"{label(r.metric)} {fmt(r.mean, r.metric, sign=True)}" for r in summary.itertuples())
            verdicts = ", ".join(dict.fromkeys(summary["verdict"]))
            return f"{pair.candidate} − {pair.reference}: {deltas} pp ({verdicts}; the Comparisons section)"
    return NOT_MEASURED if difference.knob else "—"


def differences_frame(plan: Plan, compared: list[tuple[ComparisonPair, Comparison]]) -> pd.DataFrame:
    """The known differences between the two implementations, each with what it alone was measured to change."""
    return pd.DataFrame(
        [(d.what, d.ours, d.anomalib, measured_text(d, plan, compared)) for d in KNOWN_DIFFERENCES],
        columns=["difference", "this suite (public code)", "anomalib", "measured alone"],
    )


def versions(own: pd.DataFrame) -> str:
    """The anomalib release(s) the runs were made with, or "–" before any has been evaluated."""
    return ", ".join(sorted(own["version"].unique())) or "–"


@dataclass(frozen=True)
class CrossImplementationSection:
    """The page's cross-implementation section: its caption, the per-category table and the known differences."""

    caption: str
    table: DisplayTable
    differences: DisplayTable


def cross_implementation_section(
    plan: Plan,
    comparisons: list[AuditComparison],
    own: pd.DataFrame,
    published: pd.DataFrame,
    demo: bool,
    compared: list[tuple[ComparisonPair, Comparison]],
) -> CrossImplementationSection | None:
    """The section, or None when the config trains no such pair."""
    pair = next((c for c in comparisons if c.key == PAIR), None)
    if pair is None:
        return None
    release = versions(own[own["variant"] == pair.alternative])
    frame = cross_implementation_frame(pair, own, headline_published(plan, published), plan.audit_seeds)
    caption = (
        f"RD4AD as published, as this suite trains it ({pair.reference}) and as anomalib {release} trains "
        f"it ({pair.alternative}: its ReverseDistillation and Engine), on the same splits and seeds "
        f"({', '.join(map(str, plan.audit_seeds))}); both scored by this suite's metric code on their own "
        f"maps and image scores, anomalib's own AUROC / AUPRO on the same arrays beside them."
        + (" DEMO: synthetic data, random teachers (see the banner), not a reproduction." if demo else "")
    )
    return CrossImplementationSection(
        caption=caption,
        table=frame_table("cross-implementation", f"Paper vs this suite vs anomalib {release}", frame, "category"),
        differences=frame_table(
            "implementation-differences",
            "Known differences between the implementations",
            differences_frame(plan, compared),
            "difference",
        ),
    )
