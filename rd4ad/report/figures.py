"""Report figures (matplotlib / seaborn): frames in, ``Figure`` out; ``save_figure`` writes PNGs.

Fig. 5 of the paper (score histograms, normal vs anomalous), Fig. 6/7 (anomaly-map
overlays), training-loss curves and a heat-map of deltas to the published numbers. Every
label is plain text: names from configs and data folders (``$x$``, ``a_b^c``) are never parsed
as mathtext or LaTeX.
"""

from __future__ import annotations

import functools
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from rd4ad.io import atomic_save_with

DPI = 100
LABELS = {0: "normal", 1: "anomalous"}
PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}


def plain_text(draw):
    """Run ``draw`` (a figure function) with every text drawn as given, not as mathtext."""
    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with plt.rc_context(PLAIN_TEXT):
            return draw(*args, **kwargs)
    return wrapper


@plain_text
def score_histograms(scores: pd.DataFrame, title: str) -> plt.Figure:
    """Fig. 5: image-score histograms per category; ``scores`` has category, label, score."""
    data = scores.assign(label=scores["label"].map(LABELS))
    wrap = min(5, data["category"].nunique())
    grid = sns.displot(data, x="score", hue="label", col="category", col_wrap=wrap, kind="hist",
                       stat="density", common_norm=False, element="step", bins=20, height=2.2,
                       facet_kws={"sharex": False, "sharey": False}, hue_order=list(LABELS.values()))
    grid.set_titles("{col_name}")
    grid.figure.suptitle(title, y=1.02)
    return grid.figure


@plain_text
def anomaly_overlays(examples: dict[str, dict[str, np.ndarray]], title: str) -> plt.Figure:
    """Fig. 6/7: per category (row) a few test images with the anomaly map over them and the
    ground-truth outline; maps share one colour scale per category."""
    n_cols = max(len(e["images"]) for e in examples.values())
    fig, axes = plt.subplots(len(examples), n_cols, figsize=(1.7 * n_cols, 1.9 * len(examples)),
                             squeeze=False)
    for row, (category, ex) in zip(axes, examples.items()):
        low, high = float(ex["maps"].min()), float(ex["maps"].max())
        for i, ax in enumerate(row):
            ax.set_axis_off()
            if i >= len(ex["images"]):
                continue
            ax.imshow(ex["images"][i].transpose(1, 2, 0))
            ax.imshow(ex["maps"][i], cmap="jet", alpha=0.45, vmin=low, vmax=high)
            if ex["masks"][i].any():
                ax.contour(ex["masks"][i], levels=[0.5], colors="white", linewidths=0.8)
            ax.set_title(f"{category}: {Path(str(ex['names'][i])).parent.name}", fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


@plain_text
def loss_curves(losses: pd.DataFrame, title: str) -> plt.Figure:
    """Training loss per epoch (mean ± sd over seeds), one panel per variant, hue = category."""
    wrap = min(4, losses["variant"].nunique())
    grid = sns.relplot(losses, x="epoch", y="loss", hue="category", col="variant", col_wrap=wrap,
                       kind="line", errorbar="sd", height=2.6, facet_kws={"sharey": False})
    grid.set_titles("{col_name}")
    grid.figure.suptitle(title, y=1.02)
    return grid.figure


@plain_text
def delta_heatmap(deltas: pd.DataFrame, title: str) -> plt.Figure:
    """Measured − published (percentage points), category × table column; NaN cells blank."""
    fig, ax = plt.subplots(figsize=(2.5 + 0.8 * deltas.shape[1], 2.0 + 0.32 * deltas.shape[0]))
    limit = max(float(np.nanmax(np.abs(deltas.to_numpy()))), 0.5)
    sns.heatmap(deltas, ax=ax, annot=True, fmt="+.1f", cmap="vlag", center=0.0, vmin=-limit, vmax=limit,
                cbar_kws={"label": "Δ (pp)"}, annot_kws={"fontsize": 7}, linewidths=0.5)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelrotation=35)
    plt.setp(ax.get_xticklabels(), ha="right", rotation_mode="anchor")
    ax.set_title(title)
    return fig


@plain_text
def save_figure(fig: plt.Figure, path: Path) -> Path:
    """Write ``fig`` as PNG atomically and close it."""
    try:
        atomic_save_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight"))
    finally:
        plt.close(fig)
    return path
