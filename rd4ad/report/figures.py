"""Report figures (matplotlib / seaborn): frames in, ``Figure`` out; ``save_figure`` writes PNGs.

Fig. 5 of the paper (score histograms, normal vs anomalous), Fig. 6/7 (anomaly-map
overlays), training-loss curves, per table the published vs measured values with seed error
bars, and heat-maps of deltas to the published numbers. Categories and columns come in the
order given (the paper's). Figures are at most ``MAX_WIDTH`` inches wide, so that the page shows
them at their own size, and every label is plain text: names from configs and data folders
(``$x$``, ``a_b^c``) are never parsed as mathtext or LaTeX.
"""

from __future__ import annotations

import functools
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from rd4ad.files.io import atomic_save_with
from rd4ad.published import PAPER_METHOD
from rd4ad.report.display import fmt

DPI = 100
MAX_WIDTH = 13.0  # inches: 1300 px, the page's content width at a 1400 px window
LABELS = {0: "normal", 1: "anomalous"}
PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}
STATUS_COLORS = {"within": "#1b7a35", "off": "#b3261e"}  # others: OTHER_COLOR
OTHER_COLOR = "#375a7f"


def plain_text(draw):
    """Run ``draw`` (a figure function) with every text drawn as given, not as mathtext."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with plt.rc_context(PLAIN_TEXT):
            return draw(*args, **kwargs)

    return wrapper


@plain_text
def score_histograms(scores: pd.DataFrame, title: str) -> plt.Figure:
    """Fig. 5: image-score histograms per category, panels in the order of first appearance;
    ``scores`` has category, label, score."""
    data = scores.assign(label=scores["label"].map(LABELS))
    order = list(dict.fromkeys(data["category"]))
    wrap = min(5, len(order))
    grid = sns.displot(
        data,
        x="score",
        hue="label",
        col="category",
        col_wrap=wrap,
        kind="hist",
        stat="density",
        common_norm=False,
        element="step",
        bins=20,
        height=2.2,
        col_order=order,
        facet_kws={"sharex": False, "sharey": False},
        hue_order=list(LABELS.values()),
    )
    grid.set_titles("{col_name}")
    grid.figure.suptitle(title, y=1.02)
    return grid.figure


@plain_text
def anomaly_overlays(examples: dict[str, dict[str, np.ndarray]], title: str) -> plt.Figure:
    """Fig. 6/7: per category a few test images with the anomaly map over them and the
    ground-truth outline, as many categories side by side as fit ``MAX_WIDTH``; maps share one
    colour scale per category."""
    n_images = max(len(e["images"]) for e in examples.values())
    per_row = max(1, min(len(examples), int(MAX_WIDTH // (1.7 * n_images))))
    n_rows = -(-len(examples) // per_row)
    fig, axes = plt.subplots(
        n_rows, per_row * n_images, figsize=(1.7 * n_images * per_row, 1.9 * n_rows), squeeze=False
    )
    for ax in axes.flat:
        ax.set_axis_off()
    for block, (category, ex) in enumerate(examples.items()):
        low, high = float(ex["maps"].min()), float(ex["maps"].max())
        row = axes[block // per_row, (block % per_row) * n_images : (block % per_row + 1) * n_images]
        for i, ax in enumerate(row[: len(ex["images"])]):
            ax.imshow(ex["images"][i].transpose(1, 2, 0))
            ax.imshow(ex["maps"][i], cmap="jet", alpha=0.45, vmin=low, vmax=high)
            if ex["masks"][i].any():
                ax.contour(ex["masks"][i], levels=[0.5], colors="white", linewidths=0.8)
            ax.set_title(f"{category}: {Path(str(ex['names'][i])).parent.name}", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


@plain_text
def loss_curves(losses: pd.DataFrame, title: str) -> plt.Figure:
    """Training loss per epoch (mean ± sd over seeds), one panel per variant, hue = category;
    variants and categories in the order of first appearance."""
    variants, categories = list(dict.fromkeys(losses["variant"])), list(dict.fromkeys(losses["category"]))
    wrap = min(4, len(variants))
    grid = sns.relplot(
        losses,
        x="epoch",
        y="loss",
        hue="category",
        col="variant",
        col_wrap=wrap,
        kind="line",
        errorbar="sd",
        height=2.6,
        col_order=variants,
        hue_order=categories,
        facet_kws={"sharey": False},
    )
    grid.set_titles("{col_name}")
    grid.figure.suptitle(title, y=1.02)
    return grid.figure


@plain_text
def delta_heatmap(deltas: pd.DataFrame, title: str) -> plt.Figure:
    """Measured − published (percentage points), table column (rows) × category (columns), in
    the order given; NaN cells blank; cells sized so the figure fits ``MAX_WIDTH``."""
    longest = max(len(str(label)) for label in deltas.index)
    cell = min(0.62, (MAX_WIDTH - 1.5 - 0.07 * longest) / deltas.shape[1])
    fig, ax = plt.subplots(figsize=(1.5 + 0.07 * longest + cell * deltas.shape[1], 1.6 + 0.42 * deltas.shape[0]))
    limit = max(float(np.nanmax(np.abs(deltas.to_numpy()))), 0.5)
    annot = deltas.map(lambda v: "" if np.isnan(v) else fmt(v, sign=True)).to_numpy()
    sns.heatmap(
        deltas,
        ax=ax,
        annot=annot,
        fmt="",
        cmap="vlag",
        center=0.0,
        vmin=-limit,
        vmax=limit,
        cbar_kws={"label": "Δ (pp)", "shrink": 0.8},
        annot_kws={"fontsize": 8},
        linewidths=0.5,
    )
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    ax.tick_params(axis="y", labelrotation=0, labelsize=8)
    plt.setp(ax.get_xticklabels(), ha="right", rotation_mode="anchor")
    ax.set_title(title, fontsize=10)
    return fig


@plain_text
def comparison_plot(tidy: pd.DataFrame, title: str) -> plt.Figure:
    """Published value (black bar) vs ours (mean ± sample std over seeds, coloured by status) per
    ``row`` (x), one panel per ``column``, in the order given; a second measure of the same cell
    (the other PRO definition, ``counted`` False) as a hollow grey marker beside it. ``tidy``:
    the export columns (rd4ad/report/exports.py) of one table."""
    panels = list(dict.fromkeys(tidy["column"]))
    n_x = max(tidy.groupby("column")["row"].nunique())
    longest = max(len(str(row)) for row in tidy["row"])
    n_cols = max(1, min(len(panels), int(MAX_WIDTH // max(2.5, 0.3 * n_x + 1.0))))
    width = max(2.5, 5.5 / n_cols, min(MAX_WIDTH / n_cols, 0.42 * n_x + 1.1))
    rotate = n_x * (0.075 * longest + 0.1) > width - 0.8  # labels would touch: slant them
    n_rows = -(-len(panels) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(width * n_cols, 2.9 * n_rows + 0.6), squeeze=False)
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    for ax, panel in zip(axes.flat, panels):
        mine = tidy[tidy["column"] == panel]
        rows = list(dict.fromkeys(mine["row"]))
        x = {row: i for i, row in enumerate(rows)}
        counted, other = mine[mine["counted"]], mine[~mine["counted"]]
        ax.scatter(
            counted["row"].map(x),
            counted["published"],
            marker="_",
            s=220,
            linewidths=2.2,
            color="black",
            label=f"{PAPER_METHOD} (paper)",
            zorder=3,
        )
        colors = [STATUS_COLORS.get(s, OTHER_COLOR) for s in counted["status"]]
        ax.errorbar(
            counted["row"].map(x),
            counted["ours_mean"],
            yerr=counted["ours_std"].fillna(0),
            fmt="none",
            ecolor="#5a6570",
            elinewidth=1,
            capsize=2.5,
            zorder=2,
        )
        ax.scatter(counted["row"].map(x), counted["ours_mean"], c=colors, s=22, zorder=4, label="ours")
        if len(other):
            ax.errorbar(
                other["row"].map(x) + 0.25,
                other["ours_mean"],
                yerr=other["ours_std"].fillna(0),
                fmt="D",
                mfc="white",
                mec="#8a939b",
                ecolor="#8a939b",
                ms=4,
                elinewidth=0.8,
                capsize=2,
                label="ours, other PRO definition",
                zorder=2,
            )
        ax.set_xticks(
            range(len(rows)),
            rows,
            fontsize=8,
            rotation=45 if rotate else 0,
            ha="right" if rotate else "center",
            rotation_mode="anchor",
        )
        ax.tick_params(axis="y", labelsize=8)
        ax.set_xlim(-0.6, len(rows) - 0.4)
        ax.set_title(panel, fontsize=9)
        ax.grid(axis="y", color="#e1e6ea", linewidth=0.6)
    handles = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    height = fig.get_figheight()  # title, then the legend below it, in the top 0.6 inch
    fig.text(0.01, 1 - 0.05 / height, title, ha="left", va="top", fontsize=10)
    fig.legend(
        handles.values(),
        handles.keys(),
        loc="upper left",
        bbox_to_anchor=(0.0, 1 - 0.28 / height),
        ncols=len(handles),
        fontsize=8,
        frameon=False,
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.6 / height))
    return fig


@plain_text
def save_figure(fig: plt.Figure, path: Path) -> Path:
    """Write ``fig`` as PNG atomically and close it."""
    try:
        atomic_save_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight"))
    finally:
        plt.close(fig)
    return path
