"""The report's second step: the page model (rd4ad/report/page.py), built from the collected inputs by pure
functions (nothing read, nothing written), one per section. Each holds the display tables, texts and counts
the template shows, the figures to draw and the exports' contents; the Markdown summary comes from the same
facts. The third step writes them all (rd4ad/report/write.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from rd4ad.planning.plan import Plan
from rd4ad.published import PAPER_METHOD
from rd4ad.published.consistency import average_mismatches, cross_table_mismatches
from rd4ad.published.metrics import PRO_MEASURES, REGISTRY, label
from rd4ad.published.tables import TableSpec
from rd4ad.report.aggregate import VERDICTS, delta_summary, statuses, verdict_summary
from rd4ad.report.beyond import beyond_markdown, beyond_section
from rd4ad.report.chance import below_chance
from rd4ad.report.collect import ReportInputs
from rd4ad.report.comparison_section import comparisons_section
from rd4ad.report.cross_implementation import cross_implementation_section
from rd4ad.report.display import NOTE_MARK, VERDICT_MARKS, DisplayTable, audit_table, frame_table
from rd4ad.report.environment import PLAN_HASH
from rd4ad.report.exports import EXPORT_DIR, SUMMARY_FILE, seeds_line, seeds_text, summary_markdown, table_export
from rd4ad.report.figure_files import FIGURE_DIR, OVERLAYS, comparison_figure, delta_figures, run_figures
from rd4ad.report.page import (
    AuditSection,
    EnvironmentSection,
    ExportsSection,
    Header,
    Page,
    RunsSection,
    TableSection,
    VerdictsSection,
)
from rd4ad.report.paper_tables import paper_table
from rd4ad.report.provenance import table_caption, teachers_line
from rd4ad.report.setups import setups_line

TITLE = "RD4AD reproduction report"
MARKS_TEXT = ", ".join(f"{mark} {verdict}" for verdict, mark in VERDICT_MARKS.items())
VERDICT_RULE = (
    f"Verdict ({MARKS_TEXT}; the mark after each Δ): with n ≥ 2 seeds, mean m and sample sd s, "
    "one more training run of ours falls in m ± t(n−1, 0.975)·s·√(1 + 1/n) with 95 % probability "
    "(runs independent and normally distributed); widened by ±0.05 for the published value's rounding, "
    "that interval holds the published value (consistent: it could be one more run of ours) or lies below "
    "or above it. One seed gives no interval: undetermined, and the fixed tolerance alone decides the status. "
    "Both counts are shown; a group average's interval comes from its per-seed means."
)
DEMO_RULE = (
    "Demo data (synthetic images, demo-sized models) is never compared with a published number: each cell "
    "shows ours beside the paper's value, with no Δ, no status against the tolerance and no verdict."
)


@dataclass(frozen=True)
class PaperTable:
    """One declared table as the page shows it, before its figure and exports are written."""

    spec: TableSpec
    display: DisplayTable
    caption: str  # what produced it: precision, timing devices (rd4ad/report/provenance.py)
    setups: str  # what ran behind its settings (rd4ad/report/setups.py)
    latex_caption: str  # the caption of its LaTeX export


def pro_counted(plan: Plan) -> str:
    """The PRO definition that counts as the reproduction of a printed PRO (config ``pro_reproduction``)."""
    return f"{REGISTRY[PRO_MEASURES[plan.pro_reproduction]].text}, config pro_reproduction: {plan.pro_reproduction}"


def pro_note(plan: Plan) -> str:
    """Above the tables: both PRO definitions are shown, which one counts (sets status and counts)."""
    tables = ", ".join(spec.name for spec in plan.tables.values() if "pro" in spec.metrics)
    other = next(m for m in PRO_MEASURES.values() if m != PRO_MEASURES[plan.pro_reproduction])
    return (
        f"PRO cells ({tables}) show both measured definitions, each with its Δ to the printed value. "
        f"The one that counts as the reproduction (cell status, summary counts) is {pro_counted(plan)}; "
        f"the other, {REGISTRY[other].text}, is shown beside it in grey."
    )


def latex_caption(plan: Plan, spec: TableSpec, demo: bool, caption: str) -> str:
    """Caption of a table's LaTeX export: its title, what the columns hold, the counted PRO, and
    ``caption`` (what produced it)."""
    return (
        ("DEMO numbers, not a reproduction of the paper. " if demo else "")
        + f"{spec.title}. Published {PAPER_METHOD} value, ours (mean ± sample std over seeds "
        f"{', '.join(map(str, plan.seeds))}) and Δ = ours − published, marked with the seed verdict "
        f"({MARKS_TEXT}: the published value against the 95 % prediction interval of one more run of ours)."
        + (f" PRO: {pro_counted(plan)}." if "pro" in spec.metrics else "")
        + f" {caption}"
    )


def paper_tables(inputs: ReportInputs) -> list[PaperTable]:
    """Every declared table in the paper's order, with its captions."""
    out = []
    for spec in inputs.plan.tables.values():
        caption = table_caption(inputs.plan, spec, inputs.complexity)
        setups = setups_line(inputs.plan, spec)
        out.append(
            PaperTable(
                spec,
                paper_table(spec, inputs),
                caption,
                setups,
                latex_caption(inputs.plan, spec, inputs.demo, f"{caption} {setups}"),
            )
        )
    return out


def _tolerance(plan: Plan) -> str:
    return ", ".join(f"{label(m)} ±{t:g}" for m, t in plan.tolerance.items())


def _unplanned(inputs: ReportInputs) -> list[str]:
    """Run folders the plan does not hold (a variant renamed or removed from the config)."""
    return sorted(set(inputs.runs["run"]) - set(inputs.plan.runs))


def summary_notes(inputs: ReportInputs) -> list[str]:
    """The notes above the Markdown summary's tables."""
    plan, mixed, unplanned = inputs.plan, inputs.mixed, _unplanned(inputs)
    demo_lines = (
        [f"**DEMO**: synthetic data; teachers: {teachers_line(plan)}; the numbers are not a reproduction."]
        + [f"**Below chance** (DEMO) — {line}" for line in below_chance(plan, inputs.runs)]
        if inputs.demo
        else []
    )
    runs = [f"{spec.name} — {setups_line(plan, spec)}" for spec in plan.tables.values()]
    return [
        *demo_lines,
        "What ran behind each table (the paper's labels = the variant: its backbone, image size, epochs, teacher):\n"
        + "\n".join(f"- {line}" for line in runs),
        *(
            [
                f"**Not in the plan** (left out of every table): {', '.join(unplanned)}. Delete these run folders "
                "or put their variants back in the config."
            ]
            if unplanned
            else []
        ),
        *(
            [DEMO_RULE, f"Seeds: {', '.join(map(str, plan.seeds))}."]
            if inputs.demo
            else [
                f"Tolerance (percentage points): {_tolerance(plan)}. Seeds: {', '.join(map(str, plan.seeds))}.",
                VERDICT_RULE,
                pro_note(plan),
            ]
        ),
        *(
            [
                f"**Inputs differ**: {len(mixed.drop_duplicates(['input', 'shared by']))} group(s) of runs that should "
                "share their data or teacher were made from different content (the report's \"Runs made from different "
                'inputs").'
            ]
            if len(mixed)
            else []
        ),
    ]


def runs_section(inputs: ReportInputs) -> RunsSection:
    """The runs: progress per variant, dataset roles, unfinished runs, runs made from different inputs, cost."""
    plan, progress, failures, mixed, cost = inputs.plan, inputs.progress, inputs.failures, inputs.mixed, inputs.cost
    per_variant = (
        progress.groupby(["dataset", "variant"], sort=False)["done"].agg(done="sum", expected="size").reset_index()
    )
    per_variant.insert(0, "dataset / variant", per_variant.pop("dataset") + " / " + per_variant.pop("variant"))
    roles = pd.DataFrame(
        [
            {"role": r.name, "loader": r.loader, "root": r.root, "categories": ", ".join(r.categories)}
            for r in plan.dataset_roles
        ]
    )
    return RunsSection(
        runs_done=int(progress["done"].sum()),
        runs_expected=len(progress),
        n_failed=int((failures["state"] == "failed").sum()),
        progress_table=frame_table("progress", "Runs", per_variant, "dataset / variant"),
        roles_table=frame_table("roles", "Dataset roles", roles, "role"),
        failures_table=frame_table("failures", "Runs not finished", failures, "run") if len(failures) else None,
        mixed_table=frame_table("mixed", "Runs made from different inputs", mixed, "input") if len(mixed) else None,
        cost_table=frame_table("cost", "Device time per table", cost, "table") if len(cost) else None,
    )


def verdicts_section(inputs: ReportInputs) -> VerdictsSection:
    """The counts of statuses and verdicts of the counted cells, the mean deltas, the seeds needed; for
    demo data the status counts only (nothing is compared)."""
    plan, cells, names, comparable = inputs.plan, inputs.cells, inputs.names, not inputs.demo
    counted = cells[cells["counted"]]
    shared = {
        "status_counts": {s: int((counted["status"] == s).sum()) for s in statuses(comparable)},
        "verdict_marks": VERDICT_MARKS,
        "seeds": ", ".join(map(str, plan.seeds)),
        "tolerance_text": _tolerance(plan),
        "pro_note": pro_note(plan),
    }
    if not comparable:
        return VerdictsSection(
            **shared, verdict_counts={}, verdict_rule=DEMO_RULE, seeds_line="", verdict_table=None, delta_table=None
        )
    summary = delta_summary(cells).reset_index()
    summary["table"] = summary["table"].map(names)
    verdicts = verdict_summary(cells)
    return VerdictsSection(
        **shared,
        verdict_counts={v: int((counted["verdict"] == v).sum()) for v in VERDICTS},
        verdict_rule=VERDICT_RULE,
        seeds_line=seeds_line(verdicts, names),
        verdict_table=frame_table(
            "verdicts",
            "Verdicts from the seeds",
            verdicts.reset_index().assign(
                table=lambda f: f["table"].map(names), seeds_needed=lambda f: f["seeds_needed"].map(seeds_text)
            ),
            "table",
        ),
        delta_table=frame_table("deltas", "Mean deltas", summary, "table"),
    )


def header(inputs: ReportInputs, generated: str) -> Header:
    """The title, the demo banner's teachers and warnings, ``generated`` (when, as printed)."""
    plan = inputs.plan
    return Header(
        title=TITLE,
        demo=inputs.demo,
        teachers=teachers_line(plan),
        generated=generated,
        unplanned=tuple(_unplanned(inputs)),
        below_chance=tuple(below_chance(plan, inputs.runs)) if inputs.demo else (),
    )


def audit_section(inputs: ReportInputs) -> AuditSection:
    """The audit pairs' tables and the paper's inconsistencies (averages, the same quantity in two tables)."""
    return AuditSection(
        tables=tuple(audit_table(c) for c in inputs.audit),
        inconsistencies=(
            frame_table(
                "avg",
                "Printed averages that differ from the mean of their cells (> 0.05)",
                average_mismatches(inputs.published),
                "table",
            ),
            frame_table(
                "cross",
                "The same quantity printed with different values in two tables",
                cross_table_mismatches(inputs.published),
                "method",
            ),
        ),
    )


def table_sections(inputs: ReportInputs) -> tuple[TableSection, ...]:
    """Every declared table with its captions, its published-vs-ours figure (none for a demo: nothing is
    compared) and its exports."""
    return tuple(
        TableSection(
            t.display,
            t.caption,
            t.setups,
            None if inputs.demo else comparison_figure(t.spec, inputs),
            table_export(t.spec.key, inputs.tidy, t.latex_caption, inputs.demo),
        )
        for t in paper_tables(inputs)
    )


def build_page(inputs: ReportInputs, generated: str) -> Page:
    """The page model of ``inputs`` (``generated``: when, as printed)."""
    plan = inputs.plan
    comparisons = comparisons_section(inputs.comparisons, inputs.demo)
    beyond = beyond_section(plan, inputs.beyond, inputs.demo)
    drawn = run_figures(inputs)
    # a demo shows its anomaly maps right after the first table: what the runs found, not how far off
    lead = tuple(f for f in drawn if inputs.demo and f.file.startswith(f"{FIGURE_DIR}/{OVERLAYS}"))
    heading = f"{TITLE}{' (DEMO)' if inputs.demo else ''}: summary"
    markdown = summary_markdown(
        inputs.cells, inputs.tidy, inputs.names, heading, summary_notes(inputs), comparable=not inputs.demo
    )
    return Page(
        header=header(inputs, generated),
        tables=table_sections(inputs),
        lead_figures=lead,
        beyond=beyond,
        figures=tuple(f for f in drawn if f not in lead) + tuple(delta_figures(inputs)),
        verdicts=verdicts_section(inputs),
        runs=runs_section(inputs),
        environment=EnvironmentSection(inputs.environment, inputs.environment[PLAN_HASH]),
        audit=audit_section(inputs),
        comparisons=comparisons,
        cross_implementation=cross_implementation_section(
            plan, inputs.audit, inputs.anomalib, inputs.published, inputs.demo, inputs.comparisons
        ),
        exports=ExportsSection(
            EXPORT_DIR,
            SUMMARY_FILE,
            markdown + "\n".join(comparisons.markdown + beyond_markdown(beyond, inputs.demo)) + "\n",
        ),
        note_mark=NOTE_MARK,
    )
