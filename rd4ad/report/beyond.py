"""The report's "Beyond the paper" section: the config's ``beyond:`` runs (one variant on datasets the paper
does not report, e.g. VisA, MVTec LOCO AD, MVTec AD 2, one's own images), one table per dataset role.

Rows are the role's categories and their mean; MVTec LOCO's also each kind of anomaly apart (logical,
structural: each with the good test images, ``metrics.json`` ``anomaly_kinds``). Columns are image AUROC,
pixel AUROC and the three PRO definitions, the config's ``pro_reproduction`` counted and the others beside
it. A cell is the mean ± sample sd over seeds and, for the metrics with one, the runs' test-set 95 %
interval (stratified bootstrap over test images, ``metrics.json`` ``intervals``; bounds averaged over
seeds). The mean row is the per-seed mean over categories, then mean ± sd over seeds, without a test-set
interval: each category's test set is resampled on its own, so their bounds make no interval of the mean.
Nothing here is compared: the paper publishes none of these numbers, so there is no Δ and no verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rd4ad.evaluation.anomaly_types import KINDS
from rd4ad.planning.plan import Plan
from rd4ad.published.metrics import REGISTRY, label
from rd4ad.report.aggregate import measures, summarize, with_averages
from rd4ad.report.display import MISSING, Cell, DisplayTable, HeaderCell, Row, fmt
from rd4ad.report.exports import DEMO_LINE, EXPORT_DIR
from rd4ad.results.frames import seed_matrix, to_percent
from rd4ad.results.tree import RUN_COLUMNS

CSV = f"{EXPORT_DIR}/beyond.csv"
ALL = "all"  # the kind of a category's headline row: every anomalous test image
LOADER_LABELS = {
    "visa": "VisA",
    "loco": "MVTec LOCO AD",
    "mvtec_ad2": "MVTec AD 2",
    "folder": "own images",
    "mvtec": "MVTec AD",
}
REPLICA = "replica"  # the dataset source of the demo's small replicas (rd4ad/data/replicas)
COLUMNS = ["dataset", "loader", "source", "category", "kind", "metric", "counted", "ours_mean", "ours_std"]
COLUMNS += ["n_seeds", "test_low", "test_high"]
VALUE_COLUMNS = RUN_COLUMNS + ["low", "high"]


@dataclass(frozen=True)
class BeyondSection:
    """The section as the page, the CSV and the Markdown summary show it."""

    tables: list[DisplayTable]  # one per dataset role of ``beyond.datasets`` that is planned
    notes: list[str]  # how to read the cells, what the PRO columns are; for a demo, that it is one
    frame: pd.DataFrame  # every cell, tidy (``COLUMNS``): the CSV export
    replicas: bool  # some dataset is a replica (synthetic content in a real format): demo numbers
    comment: str  # the CSV's first line: DEMO_LINE for a demo, else empty
    csv: str = CSV


def kind_label(kind: str) -> str:
    """``logical_anomalies`` → ``logical``."""
    return kind.removesuffix("_anomalies")


def beyond_values(plan: Plan, runs: pd.DataFrame, kinds: pd.DataFrame, intervals: pd.DataFrame) -> pd.DataFrame:
    """The values the section reads, in percent: the ``beyond:`` runs' headline level subset (``level``
    :data:`ALL`) and their per-kind metrics (``level`` the kind), each with its run's test-set interval
    (``low``, ``high``; NaN where it has none). ``runs`` / ``kinds`` / ``intervals``: ``collect_runs`` /
    ``collect_anomaly_kinds`` / ``collect_intervals`` output (fractions)."""
    beyond = plan.beyond
    frame = pd.concat([runs[runs["level"] == runs["headline"]].assign(level=ALL), kinds], ignore_index=True)
    frame = frame[
        frame["dataset"].isin(beyond.datasets) & (frame["variant"] == beyond.variant) & frame["seed"].isin(beyond.seeds)
    ]
    keys = ["dataset", "category", "variant", "seed", "metric"]
    bounds = intervals[keys + ["low", "high"]].assign(level=ALL)  # an interval is of the headline level subset
    frame = frame.merge(bounds, how="left", on=[*keys, "level"])
    return to_percent(frame).assign(low=frame["low"] * 100.0, high=frame["high"] * 100.0)[VALUE_COLUMNS]


def beyond_metrics(plan: Plan) -> list[str]:
    """The section's columns: image and pixel AUROC, then the PRO definitions, the counted one first."""
    return ["image_auroc", "pixel_auroc", *measures("pro", plan.pro_reproduction), "pro_anomalib22"]


def dataset_frame(plan: Plan, values: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Tidy rows (``COLUMNS``) of one dataset role: per category and the mean, per kind and metric."""
    beyond, entry = plan.beyond, plan.datasets[dataset]
    categories = plan.categories(dataset, beyond.variant)
    counted = measures("pro", plan.pro_reproduction)[0]
    rows = []
    for kind in (ALL, *KINDS.get(entry["loader"], ())):
        for metric in beyond_metrics(plan):
            matrix = seed_matrix(values, dataset, beyond.variant, metric, kind, categories, beyond.seeds)
            summary = summarize(with_averages(matrix, {"mean": categories}))
            hit = values[(values["dataset"] == dataset) & (values["level"] == kind) & (values["metric"] == metric)]
            bounds = hit.groupby("category")[["low", "high"]].mean()
            for category, r in summary.iterrows():
                rows.append(
                    {
                        "dataset": dataset,
                        "loader": entry["loader"],
                        "source": entry["source"],
                        "category": category,
                        "kind": kind,
                        "metric": metric,
                        "counted": metric == counted or REGISTRY[metric].printed_as != "pro",
                        "ours_mean": r["mean"],
                        "ours_std": r["std"],
                        "n_seeds": int(r["n_seeds"]),
                        "test_low": bounds["low"].get(category, np.nan),
                        "test_high": bounds["high"].get(category, np.nan),
                    }
                )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.sort_values("category", key=lambda c: c.map([*categories, "mean"].index), kind="stable")


def _cell(r: pd.Series) -> Cell:
    if r["n_seeds"] == 0 or pd.isna(r["ours_mean"]):
        return Cell(MISSING, "missing", counted=bool(r["counted"]), title="no run, or not measured for this row")
    text = fmt(r["ours_mean"], r["metric"], r["ours_std"])
    if pd.notna(r["test_low"]):
        text += f" [{fmt(r['test_low'], r['metric'])}, {fmt(r['test_high'], r['metric'])}]"
    return Cell(text, "ours", counted=bool(r["counted"]), title=f"{r['n_seeds']} seed(s)")


def column_label(metric: str) -> str:
    """A column's header: the metric's label, with its short name where the label lacks it (``PRO (exact)``)."""
    short = REGISTRY[metric].short
    return label(metric) if short in label(metric) else f"{label(metric)} ({short})"


def dataset_title(plan: Plan, dataset: str) -> str:
    """``visa — VisA``, with `(replica)` for a demo's replica."""
    entry = plan.datasets[dataset]
    name = LOADER_LABELS.get(entry["loader"], entry["loader"])
    return (
        f"{dataset} — {name}{' (replica: synthetic content in the real format)' if entry['source'] == REPLICA else ''}"
    )


def dataset_table(plan: Plan, frame: pd.DataFrame, dataset: str) -> DisplayTable:
    """Rows: each category and the mean, each followed by its kinds (MVTec LOCO); columns: the metrics."""
    metrics = beyond_metrics(plan)
    order = {m: k for k, m in enumerate(metrics)}
    rows = []
    for category in dict.fromkeys(frame["category"]):
        for kind in dict.fromkeys(frame["kind"]):
            part = frame[(frame["category"] == category) & (frame["kind"] == kind)]
            part = part.sort_values("metric", key=lambda m: m.map(order))
            name = category if kind == ALL else f"{category} · {kind_label(kind)}"
            rows.append(Row(name, [_cell(r) for _, r in part.iterrows()], "average" if category == "mean" else ""))
    counted = measures("pro", plan.pro_reproduction)[0]
    header = [[HeaderCell(column_label(m) + (" (counted)" if m == counted else "")) for m in metrics]]
    return DisplayTable(f"beyond-{dataset}", dataset_title(plan, dataset), "Category", header, rows, len(metrics) + 1)


def section_notes(plan: Plan, replicas: bool) -> list[str]:
    """How to read the section: what its numbers are and are not, the cells, the PRO columns, the kinds."""
    beyond = plan.beyond
    counted = measures("pro", plan.pro_reproduction)[0]
    notes = []
    if replicas:
        notes.append(
            "DEMO: the datasets marked replica are small replicas (synthetic content in the real formats: each "
            "dataset's layout, file names and mask encoding, filled with the synthetic generator's images and "
            "defects), trained briefly. Their numbers say nothing about the real datasets and are not comparable "
            "with anything."
        )
    notes += [
        f"Variant {beyond.variant}, seeds {', '.join(map(str, beyond.seeds))}. The paper reports none of these "
        "datasets: no published number, no Δ, no verdict.",
        "Cell: mean ± sample sd over seeds (no sd with one seed), then [the runs' test-set 95 % interval]: a "
        "stratified bootstrap over test images, its bounds averaged over seeds; given for image AUROC, pixel "
        "AUROC and the exact AUPRO. The mean row is the per-seed mean over the categories, then mean ± sd over "
        "seeds, without an interval: each category's test set is resampled on its own, so their bounds make "
        "no interval of the mean.",
        "PRO columns: "
        + "; ".join(
            f"{column_label(m)}{' (counted, config pro_reproduction)' if m == counted else ''} = {REGISTRY[m].text}"
            for m in beyond_metrics(plan)
            if REGISTRY[m].printed_as == "pro"
        )
        + ".",
    ]
    if any(plan.datasets[d]["loader"] in KINDS for d in beyond.datasets if d in plan.datasets):
        notes.append(
            "MVTec LOCO rows · logical and · structural: each kind of anomaly with the good test images, as its "
            "paper reports them (image AUROC, pixel AUROC, exact AUPRO; no test-set interval); the category's "
            "own row takes both kinds together."
        )
    return notes


def beyond_section(plan: Plan, values: pd.DataFrame, demo: bool) -> BeyondSection:
    """The section of the config's ``beyond:`` datasets from :func:`beyond_values` (pure: nothing read)."""
    datasets = [d for d in plan.beyond.datasets if d in plan.datasets]
    frames = [dataset_frame(plan, values, d) for d in datasets]
    replicas = any(plan.datasets[d]["source"] == REPLICA for d in datasets)
    return BeyondSection(
        tables=[dataset_table(plan, f, d) for f, d in zip(frames, datasets)],
        notes=section_notes(plan, replicas),
        frame=pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS),
        replicas=replicas,
        comment=DEMO_LINE if demo else "",
    )


def beyond_markdown(section: BeyondSection, demo: bool) -> list[str]:
    """A few lines for the Markdown summary: per dataset role, the mean row's headline metrics."""
    if not section.tables:
        return []
    lines = ["", f"### Beyond the paper{' (DEMO: small replicas, not comparable with anything)' if demo else ''}", ""]
    means = section.frame[(section.frame["category"] == "mean") & (section.frame["kind"] == ALL)]
    for dataset, part in means.groupby("dataset", sort=False):
        shown = part[part["counted"]]
        values = ", ".join(
            f"{label(r['metric'])} {fmt(r['ours_mean'], r['metric'], r['ours_std'])}" for _, r in shown.iterrows()
        )
        lines.append(
            f"- {dataset} ({part['loader'].iloc[0]}, {part['source'].iloc[0]}), mean over categories: {values}"
        )
    return lines + [f"- every cell with its test-set interval: {section.csv}"]
