"""A reproduced table as LaTeX (booktabs): published vs ours ± std vs Δ, ready to paste into a paper.

Rows and column groups come from the tidy export (rd4ad/report/exports.py: ``row``, ``column``)
in the paper's printed order; only the counted measure of each cell (for PRO, the definition
config ``pro_reproduction`` names). A table with one row label (Tables 3–7 print one value per
column) is set with its columns as rows. Δ carries the seed verdict's mark (≈ consistent, ↓ below,
↑ above, ? undetermined). Needs ``\\usepackage{booktabs}``; text is escaped.
"""

from __future__ import annotations

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
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        r"\footnotesize" if wide else r"\small",
        *([r"\setlength{\tabcolsep}{3pt}"] if wide else []),
        r"\begin{tabular}{l" + "rrr" * len(groups) + "}",
        r"\toprule",
    ]
    if groups != [""]:
        lines.append(" & " + " & ".join(rf"\multicolumn{{3}}{{c}}{{{latex_text(g)}}}" for g in groups) + r" \\")
        lines.append(" ".join(rf"\cmidrule(lr){{{2 + 3 * i}-{4 + 3 * i}}}" for i in range(len(groups))))
    lines.append(" & " + " & ".join(HEADER * len(groups)) + r" \\")
    lines.append(r"\midrule")
    for row in rows:
        values = [v for g in groups for v in (_values(lookup[row, g]) if (row, g) in lookup else ["--"] * 3)]
        lines.append(latex_text(row) + " & " + " & ".join(values) + r" \\")
    lines += [
        r"\bottomrule",
        r"\end{tabular}",
        rf"\caption{{{latex_text(caption)}}}",
        rf"\label{{{label}}}",
        r"\end{table}",
        "",
    ]
    return "\n".join(lines)
