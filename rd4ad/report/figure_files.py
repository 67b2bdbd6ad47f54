"""The report's figures, drawn from the collected inputs into ``figures/`` beside the page: per dataset role
the image-score histograms (Fig. 5), the anomaly maps (Fig. 6/7) and the loss curves; per per-category
table the delta heat-map; per table published vs ours. Each returns the ``FigureEntry`` the page shows
(the drawing itself is rd4ad/report/figures.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rd4ad.contract.layout import RunFolder, RunKey
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
    save_figure,
    score_histograms,
)
from rd4ad.results.frames import printed_order
from rd4ad.results.tree import RUN_KEYS, collect_csv, read_examples, read_scores

FIGURE_DIR = "figures"
OVERLAYS = "overlays_"  # the anomaly maps' file names start with it
DEMO_TAG = "DEMO — "  # before every figure title of a demo report


@dataclass(frozen=True)
class FigureEntry:
    title: str
    file: str  # relative to index.html
    caption: str


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def headline_picks(plan: Plan, runs: pd.DataFrame) -> pd.DataFrame:
    """Per configured dataset and category (in the paper's order): the headline variant's run with
    the first configured seed that has one."""
    picks = []
    for dataset in plan.datasets:
        variant = headline_variant(plan, dataset)
        done = (
            runs[(runs["dataset"] == dataset) & (runs["variant"] == variant)]
            .drop_duplicates(RUN_KEYS)
            .set_index(["category", "seed"])["headline"]
        )
        for category in printed_order(dataset, plan.categories(dataset)):
            seed = next((s for s in plan.seeds if (category, s) in done.index), None)
            if seed is not None:
                picks.append((dataset, category, variant, seed, done[category, seed]))
    return pd.DataFrame(picks, columns=RUN_KEYS + ["headline"])


def _folder(results: Path, pick: pd.Series) -> RunFolder:
    return RunFolder(results, RunKey(*(pick[k] for k in RUN_KEYS)))


def _scores(results: Path, picks: pd.DataFrame) -> pd.DataFrame:
    frames = []
    for _, pick in picks.iterrows():
        scores = read_scores(_folder(results, pick))
        if scores is not None and pick["headline"] in scores:
            frames.append(
                pd.DataFrame(
                    {"category": pick["category"], "label": scores["label"], "score": scores[pick["headline"]]}
                )
            )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _examples(results: Path, picks: pd.DataFrame) -> dict:
    found = {pick["category"]: read_examples(_folder(results, pick)) for _, pick in picks.iterrows()}
    return {category: ex for category, ex in found.items() if ex is not None and len(ex["images"])}


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


def run_figures(inputs: ReportInputs, folder: Path) -> list[FigureEntry]:
    """Per dataset role: score histograms (Fig. 5), overlays (pixel-level datasets; Fig. 6/7) and
    loss curves, each left out when no run has written its files."""
    plan, results = inputs.plan, inputs.results
    tag = DEMO_TAG if inputs.demo else ""
    picks = headline_picks(plan, inputs.runs)
    losses = collect_csv(results, "loss")
    pixel_datasets = {d for spec in plan.tables.values() if "pixel_auroc" in spec.metrics for d in spec.datasets}
    entries = []
    picked = {dataset: picks[picks["dataset"] == dataset] for dataset in plan.datasets}
    # every run file is read (and checked) before the first figure is written
    all_scores = {dataset: _scores(results, chosen) for dataset, chosen in picked.items()}
    all_examples = {
        dataset: _examples(results, chosen) if dataset in pixel_datasets else {} for dataset, chosen in picked.items()
    }

    def add(fig, name: str, title: str, caption: str) -> None:
        save_figure(fig, folder / name)
        entries.append(FigureEntry(title, f"{FIGURE_DIR}/{name}", caption))

    for dataset in plan.datasets:
        label = f"{tag}{DATASET_LABELS.get(dataset, dataset)} role"
        scores, examples = all_scores[dataset], all_examples[dataset]
        if len(scores):
            add(
                score_histograms(scores, f"{label}: image scores"),
                f"scores_{_slug(dataset)}.png",
                f"{label}: image-score histograms (Fig. 5)",
                f"normal vs anomalous test images, variant {headline_variant(plan, dataset)}, first seed",
            )
        if examples:
            add(
                anomaly_overlays(examples, f"{label}: anomaly maps"),
                f"{OVERLAYS}{_slug(dataset)}.png",
                f"{label}: anomaly maps (Fig. 6/7)",
                "test images with the smoothed anomaly map (jet) and the ground-truth outline (white)",
            )
        curves = _losses(plan, losses, dataset)
        if len(curves):
            add(
                loss_curves(curves, f"{label}: training loss"),
                f"loss_{_slug(dataset)}.png",
                f"{label}: training loss",
                "mean ± sd over seeds per epoch, one panel per variant",
            )
    return entries


def delta_figures(inputs: ReportInputs, folder: Path) -> list[FigureEntry]:
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
        title = f"{DEMO_TAG if inputs.demo else ''}{spec.name}: measured − published (pp)"
        save_figure(delta_heatmap(deltas, title), folder / f"deltas_{_slug(key)}.png")
        entries.append(
            FigureEntry(
                f"{spec.name}: delta heat-map",
                f"{FIGURE_DIR}/deltas_{_slug(key)}.png",
                "measured mean − published RD4AD value, table column × category",
            )
        )
    return entries


def comparison_figure(spec: TableSpec, inputs: ReportInputs, folder: Path) -> FigureEntry | None:
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
    save_figure(comparison_plot(shown, title), folder / name)
    caption = (
        f"black bar: {PAPER_METHOD} as printed; dot: ours, mean ± sample std over seeds (green within "
        "tolerance, red off, blue without a tolerance or a published value)"
    )
    other = "; grey diamond: the other PRO definition" if (~shown["counted"]).any() else ""
    return FigureEntry(title, f"{FIGURE_DIR}/{name}", caption + other)
