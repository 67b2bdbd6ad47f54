"""Demo variants that detect worse than chance, each with the sentence that says why.

A demo run is kept small to fit its time budget, and a small run of a deep teacher may not learn a
category at all. A table cell below 50 % image AUROC would then read as a finding about the method;
the report names such variants instead (image AUROC of the headline level, mean over their runs).
"""

from __future__ import annotations

import pandas as pd

from rd4ad.planning.plan import Plan

CHANCE = 0.5


def below_chance(plan: Plan, runs: pd.DataFrame) -> list[str]:
    """One sentence per variant whose mean headline image AUROC is under chance (``runs``:
    ``rd4ad.results.tree.collect_runs``)."""
    rows = runs[(runs["level"] == runs["headline"]) & (runs["metric"] == "image_auroc")]
    means = rows.groupby("variant", sort=True)["value"].agg(["mean", "size"])
    sentences = []
    for variant, (mean, count) in means[means["mean"] < CHANCE].iterrows():
        run = plan.variant_run(variant)
        if run is None:
            continue  # not in the plan: the report names it as such
        sentences.append(
            f"{variant}: image AUROC {100 * mean:.1f} on the mean of {int(count)} run(s), under chance. It trains "
            f"{run.epochs} epochs of a {run.backbone} at {run.image_size} px from a "
            f"{run.teacher_weights} teacher, too little to learn these categories within the demo's time "
            f"budget; its cells say nothing about the method."
        )
    return sentences
