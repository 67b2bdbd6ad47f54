"""Build ``reports/index.html`` from a plan and the results tree beside it, in three steps a reader can
follow in one direction: collect what the report shows (rd4ad/report/collect.py), build the page's
sections from it (rd4ad/report/sections.py), then draw the figures, write the exports and render the
page (here). The page answers "did it reproduce?" first: the paper's tables (a demo's anomaly maps after
the first), then the counts, the runs, the environment and the cost.

Figures go to ``figures/`` next to the page (relative links: the page opens from disk), the
exports (each table as CSV and LaTeX, the Markdown summary; rd4ad/report/exports.py) beside it.
Every file is written atomically; cells without runs show "missing".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from rd4ad.files.io import atomic_write_text
from rd4ad.files.paths import writable_file
from rd4ad.files.temporaries import clean_stale
from rd4ad.planning.plan import Plan
from rd4ad.report.beyond import beyond_markdown, beyond_section, write_beyond_csv
from rd4ad.report.collect import ReportInputs, collect
from rd4ad.report.comparison_section import comparisons_section
from rd4ad.report.display import DisplayTable
from rd4ad.report.exports import EXPORT_DIR, SUMMARY_FILE, summary_markdown, write_exports
from rd4ad.report.figure_files import (
    FIGURE_DIR,
    OVERLAYS,
    FigureEntry,
    comparison_figure,
    delta_figures,
    run_figures,
)
from rd4ad.report.html import render_report
from rd4ad.report.sections import TITLE, page_sections, paper_tables, summary_notes


@dataclass(frozen=True)
class TableSection:
    """One paper table on the page: its display, its figure (or None) and its exports."""

    table: DisplayTable
    caption: str  # what produced it: precision, timing devices (rd4ad/report/provenance.py)
    setups: str  # what ran behind its settings (rd4ad/report/setups.py)
    figure: FigureEntry | None
    csv: str
    tex: str


def write_page(inputs: ReportInputs, out: Path) -> Path:
    """Draw the figures, write the exports and the Markdown summary, render the page ``out``."""
    folder = out.parent
    figures = folder / FIGURE_DIR
    sections = page_sections(inputs, datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    tables = paper_tables(inputs)
    # the last reads of run files (scores, examples, losses) come before the first file is written
    drawn = run_figures(inputs, figures)
    links = write_exports(folder, inputs.tidy, {t.spec.key: t.latex_caption for t in tables}, inputs.demo)
    comparisons, comparison_lines = comparisons_section(inputs.comparisons, folder, FIGURE_DIR, inputs.demo)
    sections["beyond"] = beyond_section(inputs.plan, inputs.beyond)
    write_beyond_csv(folder, sections["beyond"], inputs.demo)
    sections["tables"] = [
        TableSection(
            t.display,
            t.caption,
            t.setups,
            None if inputs.demo else comparison_figure(t.spec, inputs, figures),  # demo: nothing compared
            **links[t.spec.key],
        )
        for t in tables
    ]
    # a demo shows its anomaly maps right after the first table: what the runs found, not how far off
    lead = [f for f in drawn if inputs.demo and f.file.startswith(f"{FIGURE_DIR}/{OVERLAYS}")]
    sections["lead_figures"] = lead
    sections["figures"] = [f for f in drawn if f not in lead] + delta_figures(inputs, figures)
    heading = f"{TITLE}{' (DEMO)' if inputs.demo else ''}: summary"
    markdown = summary_markdown(
        inputs.cells, inputs.tidy, inputs.names, heading, summary_notes(inputs), comparable=not inputs.demo
    )
    extra = comparison_lines + beyond_markdown(sections["beyond"], inputs.demo)
    atomic_write_text(folder / SUMMARY_FILE, markdown + "\n".join(extra) + "\n")
    return atomic_write_text(out, render_report({**sections, **comparisons}))


def build_report(plan_path: str | Path, out: str | Path) -> Path:
    """Write the report page ``out`` (its figures and exports beside it) from a plan and its results;
    return its path. The Markdown summary is ``SUMMARY_FILE`` beside it."""
    out = writable_file(out)
    for folder in (out.parent, out.parent / FIGURE_DIR, out.parent / EXPORT_DIR):
        clean_stale(folder)
    return write_page(collect(Plan.read(plan_path)), out)
