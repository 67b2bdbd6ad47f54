"""The Comparisons section's figure: a forest plot of one reference → candidate comparison.

One panel per metric; a row per category (its mean Δ = candidate − reference with the seed
t-interval; a dot alone with one seed) and, on top, the mean over categories with its t-interval
(a diamond; its colour the verdict, grey for no evidence or a too-small design); a line at Δ = 0.
Plain text labels, as every report figure (``rd4ad.report.figures.plain_text``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from rd4ad.report.figures import MAX_WIDTH, OTHER_COLOR, STATUS_COLORS, plain_text
from rd4ad.results.comparisons import Comparison

VERDICT_COLORS = {"better": STATUS_COLORS["within"], "worse": STATUS_COLORS["off"]}
MEAN_LABEL = "mean over categories"


@plain_text
def forest_plot(comparison: Comparison, title: str) -> plt.Figure:
    """Per metric of ``comparison`` (one dataset's rows): categories bottom-up in the order given,
    the mean on top, Δ on x (percentage points)."""
    summary = comparison.summary
    fig, axes = plt.subplots(
        1,
        len(summary),
        squeeze=False,
        sharey=True,
        figsize=(min(MAX_WIDTH, 4.2 * len(summary)), 1.8 + 0.4 * (comparison.categories["category"].nunique() + 1)),
    )
    for ax, row in zip(axes[0], summary.itertuples()):
        cats = comparison.categories[
            (comparison.categories["metric"] == row.metric) & (comparison.categories["dataset"] == row.dataset)
        ]
        y = np.arange(len(cats))[::-1]
        ax.errorbar(
            cats["mean"],
            y,
            xerr=np.abs(np.vstack([cats["mean"] - cats["low"], cats["high"] - cats["mean"]])),
            fmt="o",
            color="#444444",
            ecolor="#888888",
            capsize=2,
        )
        color = VERDICT_COLORS.get(row.verdict, OTHER_COLOR)
        top = len(cats)
        ax.errorbar(
            [row.mean],
            [top],
            xerr=[[row.mean - row.low], [row.high - row.mean]],
            fmt="D",
            color=color,
            ecolor=color,
            capsize=3,
            markersize=7,
        )
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.axhline(top - 0.5, color="#cccccc", linewidth=0.8)
        ax.set_yticks([*y, top], [*cats["category"], MEAN_LABEL])
        ax.set_ylim(-0.7, top + 0.7)
        ax.set_xlabel("Δ (pp)")
        ax.set_title(f"{row.metric}: {row.verdict}", color=color)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
