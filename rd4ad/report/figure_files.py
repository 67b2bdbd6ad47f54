"""The report's figures as the page model holds them (``FigureSpec``: file, title, caption, and what to
draw), made from the collected inputs without reading or writing a file: per dataset role the image-score
histograms (Fig. 5), the anomaly maps (Fig. 6/7) and the loss curves; per per-category table the delta
heat-map; per table published vs ours. The writer (rd4ad/report/write.py) draws each into ``figures/``
beside the page (the drawing itself is rd4ad/report/figures.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from rd4ad.planning.plan import Plan
from rd4ad.published import PAPER_METHOD
from rd4ad.published.tables import TableSpec
from rd4ad.report.aggregate import headline_variant, is_compared
from rd4ad.report.collect import ReportInputs
from rd4ad.report.display import DATASET_LABELS
from rd4ad.report.figures import (
    anomaly_overlays,
    comparison_plot,
    delta_heatmap,
    loss_curves,
    score_histograms,
)
from rd4ad.results.frames import printed_order

FIGURE_DIR = "figures"
OVERLAYS = "overlays_"  # the anomaly maps' file names start with it
DEMO_TAG = "DEMO — "  # before every figure title of a demo report


@dataclass(frozen=True, eq=False)
class FigureSpec:
    """One figure of the page: its entry (title, file relative to index.html, caption) and its drawing,
    ``draw(data, heading)`` (a function of rd4ad/report/figures.py; ``heading``: the title drawn in it)."""

    title: str
    file: str
    caption: str
    draw: Callable[[Any, str], plt.Figure]
    data: Any
    heading: str


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def _losses(plan: Plan, losses: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """The loss rows of ``dataset``'s configured categories and seeds, by variant (config order) and
    category (paper order)."""
    if not len(losses):
        return losses
    categories = printed_order(dataset, plan.categories(dataset))
    variants = list(plan.variants)
    curves = losses[
        (losses["dataset"] == dataset)
        & losses["category"].isin(categories)
        & losses["seed"].isin(plan.seeds)
        & losses["variant"].isin(variants)
    ]
    order = curves["variant"].map(variants.index) * len(categories) + curves["category"].map(categories.index)
    return curves.loc[order.sort_values(kind="stable").index]


def run_figures(inputs: ReportInputs) -> list[FigureSpec]:
    """Per dataset role: score histograms (Fig. 5), overlays (pixel-level datasets; Fig. 6/7) and
    loss curves, each left out when no run has written its files."""
    plan = inputs.plan
    tag = DEMO_TAG if inputs.demo else ""
    entries = []
    for dataset in plan.datasets:
        label = f"{tag}{DATASET_LABELS.get(dataset, dataset)} role"
        scores, examples = inputs.scores[dataset], inputs.examples[dataset]
        if len(scores):
            entries.append(
                FigureSpec(
                    f"{label}: image-score histograms (Fig. 5)",
                    f"{FIGURE_DIR}/scores_{_slug(dataset)}.png",
                    f"normal vs anomalous test images, variant {headline_variant(plan, dataset)}, first seed",
                    score_histograms,
                    scores,
                    f"{label}: image scores",
                )
            )
        if examples:
            entries.append(
                FigureSpec(
                    f"{label}: anomaly maps (Fig. 6/7)",
                    f"{FIGURE_DIR}/{OVERLAYS}{_slug(dataset)}.png",
                    "test images with the smoothed anomaly map (jet) and the ground-truth outline (white)",
                    anomaly_overlays,
                    examples,
                    f"{label}: anomaly maps",
                )
            )
        curves = _losses(plan, inputs.losses, dataset)
        if len(curves):
            entries.append(
                FigureSpec(
                    f"{label}: training loss",
                    f"{FIGURE_DIR}/loss_{_slug(dataset)}.png",
                    "mean ± sd over seeds per epoch, one panel per variant",
                    loss_curves,
                    curves,
                    f"{label}: training loss",
                )
            )
    return entries


def delta_figures(inputs: ReportInputs) -> list[FigureSpec]:
    """Per per-category table (1, 2, supplement 2): a heat-map of the counted deltas, table column
    × category in the paper's order; left out when fewer than two categories have one."""
    entries, tidy = [], inputs.tidy
    for key, spec in inputs.plan.tables.items():
        compared = tidy[(tidy["table"] == key) & tidy["counted"] & is_compared(tidy["status"])]
        if spec.layout != "categories" or compared["row"].nunique() < 2:
            continue
        counted = tidy[(tidy["table"] == key) & tidy["counted"]]
        deltas = (
            counted.pivot_table(index="column", columns="row", values="delta", sort=False)
            .reindex(columns=list(dict.fromkeys(counted["row"])))
            .dropna(axis=1, how="all")
        )
        entries.append(
            FigureSpec(
                f"{spec.name}: delta heat-map",
                f"{FIGURE_DIR}/deltas_{_slug(key)}.png",
                "measured mean − published RD4AD value, table column × category",
                delta_heatmap,
                deltas,
                f"{DEMO_TAG if inputs.demo else ''}{spec.name}: measured − published (pp)",
            )
        )
    return entries


def comparison_figure(spec: TableSpec, inputs: ReportInputs) -> FigureSpec | None:
    """One table's published vs measured values with seed error bars, the cells that have a counted
    measurement only; None when none has."""
    in_table = inputs.tidy[inputs.tidy["table"] == spec.key]
    measured = in_table[in_table["counted"] & in_table["ours_mean"].notna()]
    shown = in_table[
        pd.MultiIndex.from_frame(in_table[["column", "row"]]).isin(
            pd.MultiIndex.from_frame(measured[["column", "row"]])
        )
    ]
    if not len(shown):
        return None
    name = f"compare_{_slug(spec.key)}.png"
    title = f"{DEMO_TAG if inputs.demo else ''}{spec.name}: published vs ours"
    caption = (
        f"black bar: {PAPER_METHOD} as printed; dot: ours, mean ± sample std over seeds (green within "
        "tolerance, red off, blue without a tolerance or a published value)"
    )
    other = "; grey diamond: the other PRO definition" if (~shown["counted"]).any() else ""
    return FigureSpec(title, f"{FIGURE_DIR}/{name}", caption + other, comparison_plot, shown, title)
