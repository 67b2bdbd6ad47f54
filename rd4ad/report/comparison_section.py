"""The report's Comparisons section: every paired comparison of the plan (config ``comparisons:``
and the protocol audit pairs), each as a summary table, a forest plot (``figures/``), rows of
``tables/comparisons.csv`` and ``tables/comparisons.tex``, and lines of ``summary.md``.

The numbers are ``rd4ad.results.comparisons.compare_variants`` on the plan's seeds and each
comparison's dataset: Δ = candidate − reference in percentage points, the 95 % t-interval of the
mean over categories, the sign-flip p-value Holm-adjusted over the comparison's metrics, the
smallest detectable Δ and the verdict (docs/comparisons.md).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rd4ad.files.io import atomic_write_text
from rd4ad.planning.plan import ComparisonPair
from rd4ad.report.display import frame_table
from rd4ad.report.exports import EXPORT_DIR, _md_table
from rd4ad.report.figures import save_figure
from rd4ad.report.forest import forest_plot
from rd4ad.report.latex import latex_text
from rd4ad.results.comparisons import SUMMARY_HEADER, Comparison, summary_rows

CSV_FILE, TEX_FILE = f"{EXPORT_DIR}/comparisons.csv", f"{EXPORT_DIR}/comparisons.tex"
EXPORT_COLUMNS = [
    "title",
    "reference",
    "candidate",
    "dataset",
    "metric",
    "category",
    "n",
    "mean",
    "low",
    "high",
    "p_value",
    "p_floor",
    "p_holm",
    "detectable",
    "verdict",
]
MEAN_ROW = "mean"  # the category label of the over-categories row in the CSV
METHOD = (
    "Δ = candidate − reference (percentage points), seeds paired by number. Per category: mean Δ over "
    "its seeds with a 95 % t-interval. Over categories: the mean with its 95 % t-interval, the exact "
    "sign-flip p across categories (across seeds for one category), Holm-adjusted over the comparison's "
    "metrics (the family), the smallest Δ these seeds and categories detect with 80 % power at the "
    "family's level (not estimable when nothing varies), and the verdict: better / worse (Holm-adjusted "
    "p <= 0.05), no evidence, or needs >= N categories (a design that could never reach significance)."
)


def export_frame(compared: list[tuple[ComparisonPair, Comparison]]) -> pd.DataFrame:
    """The tidy export: per comparison and metric, a row per category and one ``mean`` row."""
    frames = []
    for pair, c in compared:
        names = {"title": pair.title, "reference": c.reference, "candidate": c.candidate}
        frames.append(c.categories.assign(**names))
        frames.append(c.summary.assign(**names, category=MEAN_ROW, n=c.summary["n_values"]))
    if not frames:
        return pd.DataFrame(columns=EXPORT_COLUMNS)
    return pd.concat(frames, ignore_index=True).reindex(columns=EXPORT_COLUMNS)


def latex_comparisons(compared: list[tuple[ComparisonPair, Comparison]], demo: bool) -> str:
    """One booktabs table: a row per comparison and metric (Δ, interval, p, detectable Δ, verdict)."""
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        r"\small",
        r"\begin{tabular}{llrrrrl}",
        r"\toprule",
        r"Comparison & Metric & $\Delta$ & 95\,\% interval & $p$ & detectable & verdict \\",
        r"\midrule",
    ]
    for pair, c in compared:
        for row in summary_rows(c):
            _, metric, _, delta, interval, p, detectable, verdict = row
            lines.append(
                " & ".join(latex_text(v) for v in (pair.title, metric, delta, interval, p, detectable, verdict))
                + r" \\"
            )
    caption = ("DEMO numbers. " if demo else "") + METHOD
    lines += [
        r"\bottomrule",
        r"\end{tabular}",
        rf"\caption{{{latex_text(caption)}}}",
        r"\label{tab:rd4ad-comparisons}",
        r"\end{table}",
        "",
    ]
    return "\n".join(lines)


def comparisons_section(
    compared: list[tuple[ComparisonPair, Comparison]], folder: Path, figures: str, demo: bool
) -> tuple[dict, list[str]]:
    """Write the forest plots (``folder/figures``) and the exports (``folder/tables``) of the plan's
    comparisons (``plan_comparisons``); return the page's context (``comparisons``: title, table, figure
    per comparison; the export links) and the Markdown lines of summary.md."""
    entries, rows = [], []
    for pair, c in compared:
        table = pd.DataFrame(summary_rows(c), columns=SUMMARY_HEADER)
        figure = None
        if len(c.summary):
            name = f"{figures}/comparison_{c.key}.png"  # variant names are file-name safe
            title = f"{'DEMO — ' if demo else ''}{pair.title}"
            save_figure(forest_plot(c, title), folder / name)
            figure = {
                "title": pair.title,
                "file": name,
                "caption": "per category: mean Δ ± 95 % seed t-interval; diamond on top: the mean over "
                "categories with its t-interval (colour: the verdict)",
            }
        entries.append(
            {
                "title": f"{pair.title} ({c.candidate} vs {c.reference})",
                "figure": figure,
                "table": frame_table(f"comparison-{c.key}", pair.title, table, "dataset") if len(table) else None,
            }
        )
        rows += [[pair.title, *r[1:]] for r in summary_rows(c)]
    atomic_write_text(folder / CSV_FILE, export_frame(compared).to_csv(index=False, float_format="%.10g"))
    atomic_write_text(folder / TEX_FILE, latex_comparisons(compared, demo))
    markdown = ["", "Comparisons (candidate vs reference; " + METHOD + "):", ""]
    markdown += _md_table(["Comparison", *SUMMARY_HEADER[1:]], rows, text_columns=2) if rows else ["None planned."]
    context = {
        "comparisons": entries,
        "comparisons_method": METHOD,
        "comparisons_csv": CSV_FILE,
        "comparisons_tex": TEX_FILE,
    }
    return context, markdown
