"""The run files the report's figures show, read at collection (rd4ad/report/collect.py): per dataset role
the headline variant's image scores (Fig. 5) and anomaly-map examples (Fig. 6/7, pixel-level datasets), and
every run's loss log. Nothing is drawn or written here; rd4ad/report/figure_files.py makes the figures of them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rd4ad.contract.layout import RunFolder, RunKey
from rd4ad.planning.plan import Plan
from rd4ad.report.aggregate import headline_variant
from rd4ad.results.frames import printed_order
from rd4ad.results.tree import RUN_KEYS, read_examples, read_scores

Examples = dict[str, dict[str, np.ndarray]]  # category → examples.npz arrays (images, masks, maps, names)


def headline_picks(plan: Plan, runs: pd.DataFrame) -> pd.DataFrame:
    """Per configured dataset and category (in the paper's order): the headline variant's run with
    the first configured seed that has one."""
    picks = []
    for dataset in plan.datasets:
        variant = headline_variant(plan, dataset)
        done = (
            runs[(runs["dataset"] == dataset) & (runs["variant"] == variant)]
            .drop_duplicates(RUN_KEYS)
            .set_index(["category", "seed"])["headline"]
        )
        for category in printed_order(dataset, plan.categories(dataset)):
            seed = next((s for s in plan.seeds if (category, s) in done.index), None)
            if seed is not None:
                picks.append((dataset, category, variant, seed, done[category, seed]))
    return pd.DataFrame(picks, columns=RUN_KEYS + ["headline"])


def pixel_datasets(plan: Plan) -> set[str]:
    """The datasets of a table with a pixel-level metric: their runs' anomaly maps are shown."""
    return {d for spec in plan.tables.values() if "pixel_auroc" in spec.metrics for d in spec.datasets}


def _folder(results: Path, pick: pd.Series) -> RunFolder:
    return RunFolder(results, RunKey(*(pick[k] for k in RUN_KEYS)))


def read_picked_scores(results: Path, picks: pd.DataFrame) -> pd.DataFrame:
    """The picked runs' image scores (their headline level): category, label, score; empty when none wrote any."""
    frames = []
    for _, pick in picks.iterrows():
        scores = read_scores(_folder(results, pick))
        if scores is not None and pick["headline"] in scores:
            frames.append(
                pd.DataFrame(
                    {"category": pick["category"], "label": scores["label"], "score": scores[pick["headline"]]}
                )
            )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def read_picked_examples(results: Path, picks: pd.DataFrame) -> Examples:
    """The picked runs' examples by category, those with at least one image."""
    found = {pick["category"]: read_examples(_folder(results, pick)) for _, pick in picks.iterrows()}
    return {category: ex for category, ex in found.items() if ex is not None and len(ex["images"])}


def read_figure_files(plan: Plan, runs: pd.DataFrame) -> tuple[dict[str, pd.DataFrame], dict[str, Examples]]:
    """Per dataset of the plan: the headline runs' scores and (pixel-level datasets) examples
    (``runs``: ``collect_runs`` output)."""
    picks = headline_picks(plan, runs)
    picked = {dataset: picks[picks["dataset"] == dataset] for dataset in plan.datasets}
    pixel = pixel_datasets(plan)
    scores = {dataset: read_picked_scores(plan.results, chosen) for dataset, chosen in picked.items()}
    examples = {
        dataset: read_picked_examples(plan.results, chosen) if dataset in pixel else {}
        for dataset, chosen in picked.items()
    }
    return scores, examples
