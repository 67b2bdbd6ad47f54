"""The report's third step, its one writer: the page model (rd4ad/report/page.py) to files beside ``out``.
The figures go to ``figures/`` (relative links: the page opens from disk), each table's CSV and LaTeX and
the comparisons' to ``tables/``, the Markdown summary to ``summary.md``, the page to ``out``. Nothing is
read: the model holds everything, so the run folders may be gone by now. Every file is written atomically.
"""

from __future__ import annotations

from pathlib import Path

from rd4ad.files.io import atomic_write_text
from rd4ad.report.exports import csv_text
from rd4ad.report.figures import save_figure
from rd4ad.report.html import render_report
from rd4ad.report.latex import latex_comparisons, latex_table
from rd4ad.report.page import Page


def write_page(page: Page, out: Path) -> Path:
    """Draw the figures, write the exports and the Markdown summary, render the page ``out``; return it."""
    folder = out.parent
    for spec in page.figure_specs():
        save_figure(spec.draw(spec.data, spec.heading), folder / spec.file)
    for section in page.tables:
        export = section.export
        atomic_write_text(folder / export.csv, csv_text(export.cells, export.comment))
        atomic_write_text(folder / export.tex, latex_table(export.cells, export.caption, export.label))
    comparisons = page.comparisons
    atomic_write_text(folder / comparisons.csv, csv_text(comparisons.export))
    atomic_write_text(folder / comparisons.tex, latex_comparisons(comparisons.rows, comparisons.tex_caption))
    if page.beyond.tables:
        atomic_write_text(folder / page.beyond.csv, csv_text(page.beyond.frame, page.beyond.comment))
    atomic_write_text(folder / page.exports.summary_file, page.exports.summary)
    return atomic_write_text(out, render_report(page))
