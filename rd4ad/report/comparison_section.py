"""The report's Comparisons section as the page model holds it: every paired comparison of the plan
(config ``comparisons:`` and the protocol audit pairs), each as a summary table, a forest plot
(``figures/``), rows of ``tables/comparisons.csv`` and ``tables/comparisons.tex``, and lines of
``summary.md``. Built from the collected comparisons, nothing read or written (the writer,
rd4ad/report/write.py, draws and writes them).

The numbers are ``rd4ad.results.comparisons.compare_variants`` on the plan's seeds and each
comparison's dataset: Δ = candidate − reference in percentage points, the 95 % t-interval of the
mean over categories, the sign-flip p-value Holm-adjusted over the comparison's metrics, the
smallest detectable Δ and the verdict (docs/comparisons.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from rd4ad.planning.plan import ComparisonPair
from rd4ad.report.display import DisplayTable, frame_table
from rd4ad.report.exports import EXPORT_DIR, md_table
from rd4ad.report.figure_files import DEMO_TAG, FIGURE_DIR, FigureSpec
from rd4ad.report.forest import forest_plot
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
FOREST_CAPTION = (
    "per category: mean Δ ± 95 % seed t-interval; diamond on top: the mean over categories with its "
    "t-interval (colour: the verdict)"
)
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


@dataclass(frozen=True)
class ComparisonEntry:
    """One comparison on the page: its title, summary table (None before both variants ran a category)
    and forest plot (None without a summary)."""

    title: str
    table: DisplayTable | None
    figure: FigureSpec | None


@dataclass(frozen=True, eq=False)
class ComparisonsSection:
    """Every planned comparison, the method text and the exports' paths and contents."""

    entries: tuple[ComparisonEntry, ...]
    method: str
    csv: str
    tex: str
    export: pd.DataFrame  # the CSV's rows (export_frame)
    rows: tuple[list[str], ...]  # per comparison and metric: its title, then the summary_rows cells after dataset
    tex_caption: str

    @property
    def markdown(self) -> list[str]:
        """The section's lines of summary.md."""
        lines = ["", "Comparisons (candidate vs reference; " + self.method + "):", ""]
        if not self.rows:
            return lines + ["None planned."]
        return lines + md_table(["Comparison", *SUMMARY_HEADER[1:]], list(self.rows), text_columns=2)


def _entry(pair: ComparisonPair, c: Comparison, demo: bool) -> ComparisonEntry:
    table = pd.DataFrame(summary_rows(c), columns=SUMMARY_HEADER)
    figure = None
    if len(c.summary):
        figure = FigureSpec(
            pair.title,
            f"{FIGURE_DIR}/comparison_{c.key}.png",  # variant names are file-name safe
            FOREST_CAPTION,
            forest_plot,
            c,
            f"{DEMO_TAG if demo else ''}{pair.title}",
        )
    return ComparisonEntry(
        f"{pair.title} ({c.candidate} vs {c.reference})",
        frame_table(f"comparison-{c.key}", pair.title, table, "dataset") if len(table) else None,
        figure,
    )


def comparisons_section(compared: list[tuple[ComparisonPair, Comparison]], demo: bool) -> ComparisonsSection:
    """The section of the plan's comparisons (``plan_comparisons``)."""
    return ComparisonsSection(
        entries=tuple(_entry(pair, c, demo) for pair, c in compared),
        method=METHOD,
        csv=CSV_FILE,
        tex=TEX_FILE,
        export=export_frame(compared),
        rows=tuple([pair.title, *r[1:]] for pair, c in compared for r in summary_rows(c)),
        tex_caption=("DEMO numbers. " if demo else "") + METHOD,
    )
