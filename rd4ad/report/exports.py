"""The report's take-away files beside ``index.html``, as the page model holds them (the writer,
rd4ad/report/write.py, renders them): every regenerated table as tidy CSV and as
booktabs LaTeX (``tables/<key>.csv``, ``tables/<key>.tex``), and a Markdown summary
(``summary.md``: per-table status and verdict counts, the seeds advice and the largest deltas) that the
``report`` command also prints, for CI to show or post.

The tidy columns are one per cell and measure: table, row, column (the labels a reader sees,
``display.label_cells``), what ran behind them (variant, backbone, image size, epochs, teacher:
rd4ad/report/setups.py), metric (``pro_public`` and ``pro`` for the two PRO definitions),
counted (the one ``pro_reproduction`` names), published, ours mean, std, seeds, the seed
prediction interval (``pi_low``, ``pi_high``), the test-set interval (``test_low``, ``test_high``),
delta, status and verdict. A demo's CSV opens with the comment line ``DEMO_LINE``; its summary lists
no delta and no verdict (demo data is never compared with a published number).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from rd4ad.report.aggregate import VERDICTS, delta_summary, is_compared, statuses, verdict_summary
from rd4ad.report.display import fmt
from rd4ad.report.setups import SETUP_COLUMNS
from rd4ad.statistics.seeds import MAX_SEEDS

EXPORT_DIR = "tables"
SUMMARY_FILE = "summary.md"
TIDY_COLUMNS = [
    "table",
    "row",
    "column",
    *SETUP_COLUMNS,
    "metric",
    "counted",
    "published",
    "ours_mean",
    "ours_std",
    "n_seeds",
    "pi_low",
    "pi_high",
    "test_low",
    "test_high",
    "delta",
    "status",
    "verdict",
]
LARGEST = 10  # deltas listed in the Markdown summary
DEMO_LINE = "# DEMO numbers: synthetic data, demo-sized models; not comparable with the paper's\n"


def tidy_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """Labelled cells (``display.label_cells``) → the export columns, in the report's order."""
    return cells.rename(columns={"mean": "ours_mean", "std": "ours_std"})[TIDY_COLUMNS].reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class TableExport:
    """One table's export files (paths relative to the page) and what goes in them."""

    csv: str
    tex: str
    cells: pd.DataFrame  # the table's tidy rows
    comment: str  # the CSV's first line(s): ``DEMO_LINE`` for demo numbers, else ""
    caption: str  # of the LaTeX table
    label: str  # of the LaTeX table


def table_export(key: str, tidy: pd.DataFrame, caption: str, demo: bool) -> TableExport:
    """The exports of table ``key``: its rows of ``tidy``, a demo's CSV after ``DEMO_LINE``."""
    return TableExport(
        csv=f"{EXPORT_DIR}/{key}.csv",
        tex=f"{EXPORT_DIR}/{key}.tex",
        cells=tidy[tidy["table"] == key],
        comment=DEMO_LINE if demo else "",
        caption=caption,
        label=f"tab:rd4ad-{key}",
    )


def csv_text(frame: pd.DataFrame, comment: str = "") -> str:
    """An exported CSV: ``comment``, then ``frame`` without its index, numbers to 10 significant digits."""
    return comment + frame.to_csv(index=False, float_format="%.10g")


def _md(text) -> str:
    return str(text).replace("|", "\\|")


def md_table(header: list[str], rows: list[list], text_columns: int = 1) -> list[str]:
    """A Markdown table; the first ``text_columns`` left-aligned, the numbers right-aligned."""
    align = ["---"] * text_columns + ["--:"] * (len(header) - text_columns)
    return ["| " + " | ".join(_md(h) for h in header) + " |", "| " + " | ".join(align) + " |"] + [
        "| " + " | ".join(_md(v) for v in row) + " |" for row in rows
    ]


def summary_markdown(
    cells: pd.DataFrame,
    tidy: pd.DataFrame,
    names: dict[str, str],
    heading: str,
    notes: list[str],
    comparable: bool = True,
) -> str:
    """Markdown: ``heading``, ``notes`` (one paragraph each), per table (``names``: key → printed
    name) the compared cells, each status and the mean deltas, then the verdicts and the ``LARGEST``
    deltas; for demo data (``comparable`` False) the status counts only."""
    summary = delta_summary(cells, comparable)
    shown = statuses(comparable)
    lines = [f"## {heading}", ""] + [line for note in notes for line in (note, "")]
    if not comparable:
        lines += md_table(
            ["Table", *shown], [[names.get(key, key), *(int(r[s]) for s in shown)] for key, r in summary.iterrows()]
        )
        return "\n".join(lines) + "\n"
    header = ["Table", "compared", *shown, "mean Δ (pp)", "mean |Δ| (pp)"]
    lines += md_table(
        header,
        [
            [
                names.get(key, key),
                int(r["n_compared"]),
                *(int(r[s]) for s in shown),
                fmt(r["mean_delta"], sign=True),
                fmt(r["mean_abs_delta"]),
            ]
            for key, r in summary.iterrows()
        ],
    )
    verdicts = verdict_summary(cells)
    lines += [
        "",
        "Verdicts from the seeds (the published value inside / below / above the 95 % prediction "
        "interval of one more run of ours; undetermined with one seed):",
        "",
    ]
    lines += md_table(
        ["Table", *VERDICTS, "median seed sd (pp)", "seeds for ±0.5 pp", "single-run floor (pp)"],
        [
            [
                names.get(key, key),
                *(int(r[v]) for v in VERDICTS),
                fmt(r["median_spread"]),
                seeds_text(r["seeds_needed"]),
                fmt(r["single_run_floor"]),
            ]
            for key, r in verdicts.iterrows()
        ],
    )
    lines += ["", seeds_line(verdicts, names)]
    compared = tidy[tidy["counted"] & is_compared(tidy["status"])]
    largest = compared.loc[compared["delta"].abs().sort_values(ascending=False, kind="stable").index[:LARGEST]]
    lines += ["", f"Largest deltas (of {len(compared)} compared cells):", ""]
    lines += md_table(
        ["Table", "Row", "Column", "Published", "Ours", "Δ", "Status", "Verdict"],
        [
            [
                names.get(c["table"], c["table"]),
                c["row"],
                c["column"],
                fmt(c["published"], c["metric"]),
                fmt(c["ours_mean"], c["metric"], c["ours_std"]),
                fmt(c["delta"], c["metric"], sign=True),
                c["status"],
                c["verdict"],
            ]
            for _, c in largest.iterrows()
        ],
        text_columns=3,
    )
    return "\n".join(lines) + "\n"


def seeds_text(n: float) -> str:
    """A seeds-needed count as printed: "" unknown, "> 1000" beyond the search."""
    return "" if pd.isna(n) else f"> {MAX_SEEDS}" if n > MAX_SEEDS else f"{int(n)}"


def seeds_line(verdicts: pd.DataFrame, names: dict[str, str]) -> str:
    """The "add seeds" advice: per table with a seed spread, the seeds that would pin its mean to
    ±0.5 pp; or, with one seed everywhere, that verdicts need two or more."""
    known = verdicts.dropna(subset=["seeds_needed"])
    if not len(known):
        return (
            "Seeds needed: unknown, every cell has one seed; run two or more (config `seeds:`) for "
            "verdicts and for this advice."
        )
    return (
        "Seeds needed to pin a table's mean to ±0.5 pp (95 %, at its median seed sd): "
        + "; ".join(f"{names.get(key, key)} {seeds_text(r['seeds_needed'])}" for key, r in known.iterrows())
        + "."
    )
