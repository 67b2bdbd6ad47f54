"""Build ``reports/index.html`` from a plan and the results tree beside it.

Figures go to ``figures/`` next to the page (relative links: the page opens from disk).
Every file is written atomically; cells without runs show "missing".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from rd4ad.io import atomic_write_text
from rd4ad.layout import RunFolder, RunKey
from rd4ad.paths import writable_file
from rd4ad.plan import Plan
from rd4ad.published import AVERAGES, load_published
from rd4ad.published.consistency import average_mismatches, cross_table_mismatches
from rd4ad.report.aggregate import STATUSES, build_cells, delta_summary, headline_variant, run_progress
from rd4ad.report.audit import audit_comparisons
from rd4ad.report.environment import environment
from rd4ad.report.figures import anomaly_overlays, delta_heatmap, loss_curves, save_figure, score_histograms
from rd4ad.report.html import render_report
from rd4ad.report.display import DATASET_LABELS, METRIC_LABELS, audit_table, frame_table, paper_table, setting_label
from rd4ad.report.results import RUN_KEYS, collect_complexity, collect_csv, collect_runs, read_examples, read_scores
from rd4ad.temporaries import clean_stale

FIGURE_DIR = "figures"
TITLE = "RD4AD reproduction report"


@dataclass(frozen=True)
class FigureEntry:
    title: str
    file: str  # relative to index.html
    caption: str


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def headline_picks(plan: Plan, runs: pd.DataFrame) -> pd.DataFrame:
    """Per configured dataset and category: the headline variant's run with the first configured seed."""
    picks = []
    for dataset in plan.datasets:
        variant = headline_variant(plan, dataset)
        mine = runs[(runs["dataset"] == dataset) & (runs["variant"] == variant)
                    & runs["category"].isin(plan.categories(dataset)) & runs["seed"].isin(plan.seeds)]
        mine = mine[RUN_KEYS + ["headline"]].drop_duplicates(RUN_KEYS)
        picks.append(mine.sort_values("seed", key=lambda s: s.map(plan.seeds.index))
                     .drop_duplicates("category"))
    return pd.concat(picks, ignore_index=True) if picks else pd.DataFrame(columns=RUN_KEYS + ["headline"])


def _folder(results: Path, pick: pd.Series) -> RunFolder:
    return RunFolder(results, RunKey(*(pick[k] for k in RUN_KEYS)))


def _scores(results: Path, picks: pd.DataFrame) -> pd.DataFrame:
    frames = []
    for _, pick in picks.iterrows():
        scores = read_scores(_folder(results, pick))
        if scores is not None and pick["headline"] in scores:
            frames.append(pd.DataFrame({"category": pick["category"], "label": scores["label"],
                                        "score": scores[pick["headline"]]}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _examples(results: Path, picks: pd.DataFrame) -> dict:
    found = {pick["category"]: read_examples(_folder(results, pick)) for _, pick in picks.iterrows()}
    return {category: ex for category, ex in found.items() if ex is not None and len(ex["images"])}


def write_figures(plan: Plan, results: Path, runs: pd.DataFrame, cells: pd.DataFrame,
                  folder: Path, demo: bool) -> list[FigureEntry]:
    """Score histograms, overlays (pixel-level datasets), loss curves and delta heat-maps."""
    tag = "DEMO — " if demo else ""
    picks = headline_picks(plan, runs)
    losses = collect_csv(results, "loss")
    pixel_datasets = {d for spec in plan.tables.values() if "pixel_auroc" in spec["metrics"]
                      for d in spec["datasets"]}
    entries = []
    picked = {dataset: picks[picks["dataset"] == dataset] for dataset in plan.datasets}
    # every run file is read (and checked) before the first figure is written
    all_scores = {dataset: _scores(results, mine) for dataset, mine in picked.items()}
    all_examples = {dataset: _examples(results, mine) if dataset in pixel_datasets else {}
                    for dataset, mine in picked.items()}

    def add(fig, name: str, title: str, caption: str) -> None:
        save_figure(fig, folder / name)
        entries.append(FigureEntry(title, f"{FIGURE_DIR}/{name}", caption))

    for dataset in plan.datasets:
        label = f"{tag}{DATASET_LABELS.get(dataset, dataset)} role"
        scores, examples = all_scores[dataset], all_examples[dataset]
        if len(scores):
            add(score_histograms(scores, f"{label}: image scores"), f"scores_{_slug(dataset)}.png",
                f"{label}: image-score histograms (Fig. 5)",
                f"normal vs anomalous test images, variant {headline_variant(plan, dataset)}, first seed")
        if examples:
            add(anomaly_overlays(examples, f"{label}: anomaly maps"), f"overlays_{_slug(dataset)}.png",
                f"{label}: anomaly maps (Fig. 6/7)",
                "test images with the smoothed anomaly map (jet) and the ground-truth outline (white)")
        curves = losses[(losses["dataset"] == dataset) & losses["category"].isin(plan.categories(dataset))
                        & losses["seed"].isin(plan.seeds)] if len(losses) else losses
        if len(curves):
            add(loss_curves(curves, f"{label}: training loss"), f"loss_{_slug(dataset)}.png",
                f"{label}: training loss", "mean ± sd over seeds per epoch, one panel per variant")
        compared = cells[(cells["dataset"] == dataset) & cells["delta"].notna() & cells["tolerance"].notna()]
        if len(compared):
            labels = [setting_label(plan.tables[t], s) for t, s in zip(compared["table"], compared["setting"])]
            column = (compared["table"] + " " + pd.Series(labels, index=compared.index) + " "
                      + compared["metric"].map(METRIC_LABELS))
            deltas = compared.assign(column=column.str.replace("  ", " ")).pivot_table(
                index="category", columns="column", values="delta", sort=False)
            deltas = deltas.loc[sorted(deltas.index, key=lambda c: c in AVERAGES)]
            add(delta_heatmap(deltas, f"{label}: measured − published (pp)"), f"deltas_{_slug(dataset)}.png",
                f"{label}: delta heat-map", "measured mean − published RD4AD value, category × table column")
    return entries


def _context(plan: Plan, results: Path, out: Path) -> dict:
    published = load_published()
    runs = collect_runs(results)
    complexity = collect_complexity(results)
    cells = build_cells(plan, runs, complexity, published)
    progress = run_progress(plan, runs)
    per_variant = (progress.groupby(["dataset", "variant"], sort=False)["done"].agg(done="sum", expected="size")
                   .reset_index())
    per_variant.insert(0, "dataset / variant", per_variant.pop("dataset") + " / " + per_variant.pop("variant"))
    roles = pd.DataFrame([{"role": key, "loader": spec.get("loader", ""), "root": spec.get("root", ""),
                           "categories": ", ".join(plan.categories(key))} for key, spec in plan.datasets.items()])
    missing = progress[~progress["done"]]
    comparisons = audit_comparisons(plan, runs, collect_csv(results, "audit_epochs"))
    demo = plan.demo or bool(runs["demo"].any())  # demo runs are labelled whatever the config says
    return {
        "title": TITLE, "demo": demo, "seeds": ", ".join(map(str, plan.seeds)),
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "runs_done": int(progress["done"].sum()), "runs_expected": len(progress),
        "missing_runs": [f"{d}/{c}/{v}/seed{s}" for d, c, v, s in missing[RUN_KEYS].itertuples(index=False)],
        "status_counts": {s: int((cells["status"] == s).sum()) for s in STATUSES},
        "tolerance_text": ", ".join(f"{METRIC_LABELS.get(m, m)} ±{t:g}" for m, t in plan.tolerance.items()),
        "delta_table": frame_table("deltas", "Mean deltas", delta_summary(cells).reset_index(), "table"),
        "progress_table": frame_table("progress", "Runs", per_variant, "dataset / variant"),
        "roles_table": frame_table("roles", "Dataset roles", roles, "role"),
        "env": environment(plan, runs, complexity),
        "tables": [paper_table(key, spec, plan, cells, published, demo) for key, spec in plan.tables.items()],
        "figures": write_figures(plan, results, runs, cells, out.parent / FIGURE_DIR, demo),
        "audit_tables": [audit_table(c) for c in comparisons],
        "inconsistency_tables": [
            frame_table("avg", "Printed averages that differ from the mean of their cells (> 0.05)",
                        average_mismatches(published), "table"),
            frame_table("cross", "The same quantity printed with different values in two tables",
                        cross_table_mismatches(published), "method")],
    }


def build_report(plan_path: str | Path, out: str | Path) -> Path:
    """Write the report page ``out`` (and its figures beside it) from a plan and its results; return its path."""
    out = writable_file(out)
    for folder in (out.parent, out.parent / FIGURE_DIR):
        clean_stale(folder)
    plan = Plan.read(plan_path)
    return atomic_write_text(out, render_report(_context(plan, plan.results, out)))
