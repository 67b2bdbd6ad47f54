"""Build ``reports/index.html`` from a plan and the results tree beside it.

Figures go to ``figures/`` next to the page (relative links: the page opens from disk), the
exports (each table as CSV and LaTeX, the Markdown summary; rd4ad/report/exports.py) beside it.
Every file is written atomically; cells without runs show "missing".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from rd4ad.contract.layout import RunFolder, RunKey
from rd4ad.files.io import atomic_write_text
from rd4ad.files.paths import writable_file
from rd4ad.files.temporaries import clean_stale
from rd4ad.planning.plan import Plan
from rd4ad.published import PAPER_METHOD, load_published
from rd4ad.published.metrics import PRO_MEASURES, REGISTRY, label
from rd4ad.published.tables import TableSpec
from rd4ad.published.consistency import average_mismatches, cross_table_mismatches
from rd4ad.report.aggregate import (STATUSES, VERDICTS, build_cells, delta_summary, headline_variant, is_compared,
                                    printed_order, run_progress, verdict_summary)
from rd4ad.report.audit import audit_comparisons
from rd4ad.report.chance import below_chance
from rd4ad.report.comparison_section import comparisons_section
from rd4ad.report.cross_implementation import cross_implementation_context
from rd4ad.report.display import (DATASET_LABELS, NOTE_MARK, VERDICT_MARKS, DisplayTable,
                                  audit_table, frame_table, label_cells, paper_table, published_notes)
from rd4ad.report.environment import environment
from rd4ad.report.exports import (EXPORT_DIR, SUMMARY_FILE, seeds_line, seeds_text, summary_markdown, tidy_cells,
                                  write_exports)
from rd4ad.report.failures import run_failures
from rd4ad.report.figures import (anomaly_overlays, comparison_plot, delta_heatmap, loss_curves, save_figure,
                                  score_histograms)
from rd4ad.report.html import render_report
from rd4ad.report.inputs import FIELDS, mixed_inputs
from rd4ad.report.provenance import table_caption, teachers_line
from rd4ad.report.results import (RUN_KEYS, collect_anomalib_metrics, collect_complexity, collect_csv,
                                  collect_inputs, collect_intervals, collect_runs, read_examples, read_scores)

FIGURE_DIR = "figures"
TITLE = "RD4AD reproduction report"
DEMO_TAG = "DEMO — "  # before every figure title of a demo report


@dataclass(frozen=True)
class FigureEntry:
    title: str
    file: str  # relative to index.html
    caption: str


@dataclass(frozen=True)
class TableSection:
    """One paper table on the page: its display, its figure (or None) and its exports."""

    table: DisplayTable
    caption: str  # what produced it: precision, timing devices (rd4ad/report/provenance.py)
    figure: FigureEntry | None
    csv: str
    tex: str


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def headline_picks(plan: Plan, runs: pd.DataFrame) -> pd.DataFrame:
    """Per configured dataset and category (in the paper's order): the headline variant's run with
    the first configured seed that has one."""
    picks = []
    for dataset in plan.datasets:
        variant = headline_variant(plan, dataset)
        done = (runs[(runs["dataset"] == dataset) & (runs["variant"] == variant)]
                .drop_duplicates(RUN_KEYS).set_index(["category", "seed"])["headline"])
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
            frames.append(pd.DataFrame({"category": pick["category"], "label": scores["label"],
                                        "score": scores[pick["headline"]]}))
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
    variants = list(plan.config["variants"])
    curves = losses[(losses["dataset"] == dataset) & losses["category"].isin(categories)
                    & losses["seed"].isin(plan.seeds) & losses["variant"].isin(variants)]
    order = curves["variant"].map(variants.index) * len(categories) + curves["category"].map(categories.index)
    return curves.loc[order.sort_values(kind="stable").index]


def write_figures(plan: Plan, results: Path, runs: pd.DataFrame, folder: Path, demo: bool) -> list[FigureEntry]:
    """Per dataset role: score histograms (Fig. 5), overlays (pixel-level datasets; Fig. 6/7) and
    loss curves, each left out when no run has written its files."""
    tag = DEMO_TAG if demo else ""
    picks = headline_picks(plan, runs)
    losses = collect_csv(results, "loss")
    pixel_datasets = {d for spec in plan.tables.values() if "pixel_auroc" in spec.metrics
                      for d in spec.datasets}
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
        curves = _losses(plan, losses, dataset)
        if len(curves):
            add(loss_curves(curves, f"{label}: training loss"), f"loss_{_slug(dataset)}.png",
                f"{label}: training loss", "mean ± sd over seeds per epoch, one panel per variant")
    return entries


def delta_figures(plan: Plan, tidy: pd.DataFrame, published: pd.DataFrame, folder: Path,
                  demo: bool) -> list[FigureEntry]:
    """Per per-category table (1, 2, supplement 2): a heat-map of the counted deltas, table column
    × category in the paper's order; left out when fewer than two categories have one."""
    entries = []
    for key, spec in plan.tables.items():
        compared = tidy[(tidy["table"] == key) & tidy["counted"] & is_compared(tidy["status"])]
        if spec.layout != "categories" or compared["row"].nunique() < 2:
            continue
        mine = tidy[(tidy["table"] == key) & tidy["counted"]]
        deltas = (mine.pivot_table(index="column", columns="row", values="delta", sort=False)
                  .reindex(columns=list(dict.fromkeys(mine["row"]))).dropna(axis=1, how="all"))
        title = f"{DEMO_TAG if demo else ''}{spec.name}: measured − published (pp)"
        save_figure(delta_heatmap(deltas, title), folder / f"deltas_{_slug(key)}.png")
        entries.append(FigureEntry(f"{spec.name}: delta heat-map", f"{FIGURE_DIR}/deltas_{_slug(key)}.png",
                                   "measured mean − published RD4AD value, table column × category"))
    return entries


def comparison_figure(key: str, spec: TableSpec, tidy: pd.DataFrame, folder: Path, demo: bool) -> FigureEntry | None:
    """One table's published vs measured values with seed error bars, the cells that have a counted
    measurement only; None when none has."""
    mine = tidy[tidy["table"] == key]
    measured = mine[mine["counted"] & mine["ours_mean"].notna()]
    shown = mine[pd.MultiIndex.from_frame(mine[["column", "row"]]).isin(
        pd.MultiIndex.from_frame(measured[["column", "row"]]))]
    if not len(shown):
        return None
    name = f"compare_{_slug(key)}.png"
    title = f"{DEMO_TAG if demo else ''}{spec.name}: published vs ours"
    save_figure(comparison_plot(shown, title), folder / name)
    caption = (f"black bar: {PAPER_METHOD} as printed; dot: ours, mean ± sample std over seeds (green within "
               "tolerance, red off, blue without a tolerance or a published value)")
    other = "; grey diamond: the other PRO definition" if (~shown["counted"]).any() else ""
    return FigureEntry(title, f"{FIGURE_DIR}/{name}", caption + other)


MARKS_TEXT = ", ".join(f"{mark} {verdict}" for verdict, mark in VERDICT_MARKS.items())
VERDICT_RULE = (
    f"Verdict ({MARKS_TEXT}; the mark after each Δ): with n ≥ 2 seeds, mean m and sample sd s, "
    "one more training run of ours falls in m ± t(n−1, 0.975)·s·√(1 + 1/n) with 95 % probability "
    "(runs independent and normally distributed); widened by ±0.05 for the published value's rounding, "
    "that interval holds the published value (consistent: it could be one more run of ours) or lies below "
    "or above it. One seed gives no interval: undetermined, and the fixed tolerance alone decides the status. "
    "Both counts are shown; a group average's interval comes from its per-seed means.")


def pro_counted(plan: Plan) -> str:
    """The PRO definition that counts as the reproduction of a printed PRO (config ``pro_reproduction``)."""
    return f"{REGISTRY[PRO_MEASURES[plan.pro_reproduction]].text}, config pro_reproduction: {plan.pro_reproduction}"


def pro_note(plan: Plan) -> str:
    """Above the tables: both PRO definitions are shown, which one counts (sets status and counts)."""
    tables = ", ".join(spec.name for spec in plan.tables.values() if "pro" in spec.metrics)
    other = next(m for m in PRO_MEASURES.values() if m != PRO_MEASURES[plan.pro_reproduction])
    return (f"PRO cells ({tables}) show both measured definitions, each with its Δ to the printed value. "
            f"The one that counts as the reproduction (cell status, summary counts) is {pro_counted(plan)}; "
            f"the other, {REGISTRY[other].text}, is shown beside it in grey.")


def latex_caption(plan: Plan, spec: TableSpec, demo: bool, caption: str) -> str:
    """Caption of a table's LaTeX export: its title, what the columns hold, the counted PRO, and
    ``caption`` (what produced it)."""
    return (("DEMO numbers, not a reproduction of the paper. " if demo else "")
            + f"{spec.title}. Published {PAPER_METHOD} value, ours (mean ± sample std over seeds "
            f"{', '.join(map(str, plan.seeds))}) and Δ = ours − published, marked with the seed verdict "
            f"({MARKS_TEXT}: the published value against the 95 % prediction interval of one more run of ours)."
            + (f" PRO: {pro_counted(plan)}." if "pro" in spec.metrics else "") + f" {caption}")


def _context(plan: Plan, results: Path, out: Path) -> tuple[dict, str]:
    """The page's template context and the Markdown summary; writes the figures and the exports."""
    published = load_published()
    runs = collect_runs(results)
    complexity = collect_complexity(results)
    cells = label_cells(plan, build_cells(plan, runs, complexity, published, collect_intervals(results)), published)
    tidy = tidy_cells(cells)
    progress = run_progress(plan, runs)
    per_variant = (progress.groupby(["dataset", "variant"], sort=False)["done"].agg(done="sum", expected="size")
                   .reset_index())
    per_variant.insert(0, "dataset / variant", per_variant.pop("dataset") + " / " + per_variant.pop("variant"))
    roles = pd.DataFrame([{"role": key, "loader": spec.get("loader", ""), "root": spec.get("root", ""),
                           "categories": ", ".join(plan.categories(key))} for key, spec in plan.datasets.items()])
    missing = progress[~progress["done"]]
    comparisons = audit_comparisons(plan, runs, collect_csv(results, "audit_epochs"))
    demo = plan.demo or bool(runs["demo"].any())  # demo runs are labelled whatever the config says
    names = {key: spec.name for key, spec in plan.tables.items()}
    notes = published_notes(published, names)
    figures = out.parent / FIGURE_DIR
    mixed = mixed_inputs(collect_inputs(results, FIELDS))
    # the last reads of run files (scores, examples, losses) come before the first file is written
    run_figures = write_figures(plan, results, runs, figures, demo)
    captions = {key: table_caption(plan, spec, complexity) for key, spec in plan.tables.items()}
    links = write_exports(out.parent, tidy, {key: latex_caption(plan, spec, demo, captions[key])
                                              for key, spec in plan.tables.items()})
    failures = run_failures(results, [RunKey(*k) for k in missing[RUN_KEYS].itertuples(index=False)])
    if not failures["slurm_log"].any():
        failures = failures.drop(columns="slurm_log")  # not run under SLURM
    paired_context, paired_markdown = comparisons_section(plan, runs, out.parent, FIGURE_DIR, demo)
    counted = cells[cells["counted"]]
    summary = delta_summary(cells).reset_index()
    summary["table"] = summary["table"].map(names)
    verdicts = verdict_summary(cells)
    tolerance = ", ".join(f"{label(m)} ±{t:g}" for m, t in plan.tolerance.items())
    chance = below_chance(plan, runs) if demo else []
    unplanned = sorted(set(runs["run"]) - set(plan.runs))  # e.g. a variant renamed or removed from the config
    markdown = summary_markdown(cells, tidy, names, f"{TITLE}{' (DEMO)' if demo else ''}: summary", [
        *([f"**DEMO**: synthetic data; teachers: {teachers_line(plan)}; the numbers are not a reproduction."]
          if demo else []), *(f"**Below chance** (DEMO) — {line}" for line in chance),
        *([f"**Not in the plan** (left out of every table): {', '.join(unplanned)}. Delete these run folders or put "
           "their variants back in the config."] if unplanned else []),
        f"Tolerance (percentage points): {tolerance}. Seeds: {', '.join(map(str, plan.seeds))}.",
        VERDICT_RULE, pro_note(plan),
        *([f"**Inputs differ**: {len(mixed.drop_duplicates(['input', 'shared by']))} group(s) of runs that should share their data or "
           "teacher were made from different content (the report's \"Runs made from different inputs\")."]
          if len(mixed) else [])])
    context = {
        "title": TITLE, "demo": demo, "teachers": teachers_line(plan), "below_chance": chance, "unplanned": unplanned,
        "seeds": ", ".join(map(str, plan.seeds)),
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "runs_done": int(progress["done"].sum()), "runs_expected": len(progress),
        "n_failed": int((failures["state"] == "failed").sum()),
        "failures_table": frame_table("failures", "Runs not finished", failures, "run") if len(failures) else None,
        "mixed_table": frame_table("mixed", "Runs made from different inputs", mixed, "input") if len(mixed) else None,
        "status_counts": {s: int((counted["status"] == s).sum()) for s in STATUSES},
        "verdict_counts": {v: int((counted["verdict"] == v).sum()) for v in VERDICTS},
        "verdict_rule": VERDICT_RULE, "seeds_line": seeds_line(verdicts, names), "verdict_marks": VERDICT_MARKS,
        "verdict_table": frame_table("verdicts", "Verdicts from the seeds",
                                     verdicts.reset_index().assign(table=lambda f: f["table"].map(names),
                                                                   seeds_needed=lambda f: f["seeds_needed"].map(seeds_text)),
                                     "table"),
        "tolerance_text": tolerance, "pro_note": pro_note(plan), "summary_file": SUMMARY_FILE,
        "export_dir": EXPORT_DIR, "note_mark": NOTE_MARK,
        "delta_table": frame_table("deltas", "Mean deltas", summary, "table"),
        "progress_table": frame_table("progress", "Runs", per_variant, "dataset / variant"),
        "roles_table": frame_table("roles", "Dataset roles", roles, "role"),
        "env": environment(plan, runs, complexity),
        "tables": [TableSection(paper_table(key, spec, plan, cells, published, demo, notes), captions[key],
                                comparison_figure(key, spec, tidy, figures, demo), **links[key])
                   for key, spec in plan.tables.items()],
        "figures": run_figures + delta_figures(plan, tidy, published, figures, demo),
        "audit_tables": [audit_table(c) for c in comparisons],
        **paired_context,
        **cross_implementation_context(plan, comparisons, collect_anomalib_metrics(results), published, demo),
        "inconsistency_tables": [
            frame_table("avg", "Printed averages that differ from the mean of their cells (> 0.05)",
                        average_mismatches(published), "table"),
            frame_table("cross", "The same quantity printed with different values in two tables",
                        cross_table_mismatches(published), "method")],
    }
    return context, markdown + "\n".join(paired_markdown) + "\n"


def build_report(plan_path: str | Path, out: str | Path) -> Path:
    """Write the report page ``out`` (its figures and exports beside it) from a plan and its results;
    return its path. The Markdown summary is ``SUMMARY_FILE`` beside it."""
    out = writable_file(out)
    for folder in (out.parent, out.parent / FIGURE_DIR, out.parent / EXPORT_DIR):
        clean_stale(folder)
    plan = Plan.read(plan_path)
    context, markdown = _context(plan, plan.results, out)
    atomic_write_text(out.parent / SUMMARY_FILE, markdown)
    return atomic_write_text(out, render_report(context))
