"""The report's LaTeX exports (booktabs), ready to paste into a paper: a reproduced table (published vs
ours ± std vs Δ) and the Comparisons section's summary.

Rows and column groups come from the tidy export (rd4ad/report/exports.py: ``row``, ``column``)
in the paper's printed order; only the counted measure of each cell (for PRO, the definition
config ``pro_reproduction`` names). A table with one row label (Tables 3–7 print one value per
column) is set with its columns as rows. Δ carries the seed verdict's mark (≈ consistent, ↓ below,
↑ above, ? undetermined). Needs ``\\usepackage{booktabs}``; text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from rd4ad.report.display import MISSING, VERDICT_MARKS, fmt

SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "×": r"$\times$",
    "·": r"$\cdot$",
    "±": r"$\pm$",
    "Δ": r"$\Delta$",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
    "−": r"$-$",
    "–": "--",
    "—": "---",
    "≈": r"$\approx$",
    "↓": r"$\downarrow$",
    "↑": r"$\uparrow$",
}
HEADER = ("Paper", "Ours", r"$\Delta$")
COMPARISONS_LABEL = "tab:rd4ad-comparisons"


def latex_text(text: str) -> str:
    """Plain text with LaTeX's special characters escaped and the report's symbols in math mode."""
    return "".join(SPECIALS.get(ch, ch) for ch in str(text))


def latex_number(text: str) -> str:
    """A formatted number (``display.fmt``: ``98.0 ± 1.4``, ``+0.3``) in math mode; missing → --."""
    if text in (MISSING, "missing"):
        return "--"
    return "$" + text.replace(" ± ", r" \pm ") + "$"


def _values(cell: pd.Series) -> list[str]:
    metric = cell["metric"]
    ours = "missing" if pd.isna(cell["ours_mean"]) else fmt(cell["ours_mean"], metric, cell["ours_std"])
    mark = VERDICT_MARKS.get(cell["verdict"], "")
    return [
        latex_number(fmt(cell["published"], metric)),
        latex_number(ours),
        latex_number(fmt(cell["delta"], metric, sign=True)) + (f" {latex_text(mark)}" if mark else ""),
    ]


def latex_table(tidy: pd.DataFrame, caption: str, label: str) -> str:
    """One ``table`` of the counted cells of ``tidy`` (one paper table): a row per ``row`` label,
    a (Paper, Ours, Δ) column group per ``column`` label."""
    cells = tidy[tidy["counted"]]
    rows, groups = list(dict.fromkeys(cells["row"])), list(dict.fromkeys(cells["column"]))
    transposed = len(rows) == 1
    if transposed:
        rows, groups = groups, [""]
    lookup = {(c["column"], "") if transposed else (c["row"], c["column"]): c for _, c in cells.iterrows()}
    wide = len(groups) > 2  # Table 2, supplement Table 2: smaller type, closer columns
    head = []
    if groups != [""]:
        head.append(" & " + " & ".join(rf"\multicolumn{{3}}{{c}}{{{latex_text(g)}}}" for g in groups) + r" \\")
        head.append(" ".join(rf"\cmidrule(lr){{{2 + 3 * i}-{4 + 3 * i}}}" for i in range(len(groups))))
    head.append(" & " + " & ".join(HEADER * len(groups)) + r" \\")
    body = []
    for row in rows:
        values = [v for g in groups for v in (_values(lookup[row, g]) if (row, g) in lookup else ["--"] * 3)]
        body.append(latex_text(row) + " & " + " & ".join(values) + r" \\")
    preamble = [r"\footnotesize", r"\setlength{\tabcolsep}{3pt}"] if wide else [r"\small"]
    return booktabs(preamble, "l" + "rrr" * len(groups), head, body, caption, label)


def latex_comparisons(rows: Sequence[Sequence[str]], caption: str) -> str:
    """One table of the Comparisons section: a row per comparison and metric (``rows``: its title, metric,
    categories × seeds, Δ, interval, p, detectable Δ, verdict; the design column is left out)."""
    body = []
    for title, metric, _, delta, interval, p, detectable, verdict in rows:
        values = (title, metric, delta, interval, p, detectable, verdict)
        body.append(" & ".join(latex_text(v) for v in values) + r" \\")
    head = [r"Comparison & Metric & $\Delta$ & 95\,\% interval & $p$ & detectable & verdict \\"]
    return booktabs([r"\small"], "llrrrrl", head, body, caption, COMPARISONS_LABEL)


def booktabs(preamble: list[str], columns: str, head: list[str], body: list[str], caption: str, label: str) -> str:
    """A ``table`` float: the ``preamble`` lines (type size, spacing), a ``tabular`` of ``columns`` with the
    ``head`` lines above the mid rule and the ``body`` rows below it, the escaped ``caption`` and ``label``."""
    return "\n".join(
        [
            r"\begin{table}[t]",
            r"\centering",
            *preamble,
            rf"\begin{{tabular}}{{{columns}}}",
            r"\toprule",
            *head,
            r"\midrule",
            *body,
            r"\bottomrule",
            r"\end{tabular}",
            rf"\caption{{{latex_text(caption)}}}",
            rf"\label{{{label}}}",
            r"\end{table}",
            "",
        ]
    )
