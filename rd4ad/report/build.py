"""Build ``reports/index.html`` from a plan and the results tree beside it, in three steps a reader can
follow in one direction: collect everything the report shows, reading every file it needs once
(rd4ad/report/collect.py), build the typed page model from it (rd4ad/report/sections.py, the model in
rd4ad/report/page.py; nothing read or written), then write the page, its figures and exports from the
model (rd4ad/report/write.py; nothing read). The page answers "did it reproduce?" first: the paper's tables
(a demo's anomaly maps after the first), then the counts, the runs, the environment and the cost.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from rd4ad.files.paths import writable_file
from rd4ad.files.temporaries import clean_stale
from rd4ad.planning.plan import Plan
from rd4ad.report.collect import collect
from rd4ad.report.exports import EXPORT_DIR
from rd4ad.report.figure_files import FIGURE_DIR
from rd4ad.report.sections import build_page
from rd4ad.report.write import write_page


def build_report(plan_path: str | Path, out: str | Path) -> Path:
    """Write the report page ``out`` (its figures and exports beside it) from a plan and its results;
    return its path. The Markdown summary is ``SUMMARY_FILE`` beside it."""
    out = writable_file(out)
    for folder in (out.parent, out.parent / FIGURE_DIR, out.parent / EXPORT_DIR):
        clean_stale(folder)
    inputs = collect(Plan.read(plan_path))
    return write_page(build_page(inputs, datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")), out)
