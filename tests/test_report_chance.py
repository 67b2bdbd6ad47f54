"""A demo variant under chance is named with the reason (rd4ad/report/chance.py)."""

from types import SimpleNamespace

import pandas as pd

from rd4ad.report.chance import below_chance


def _row(variant: str, category: str, value: float, metric: str = "image_auroc", level: str = "M1+2+3") -> dict:
    return {
        "variant": variant,
        "category": category,
        "level": level,
        "headline": "M1+2+3",
        "metric": metric,
        "value": value,
    }


def test_only_variants_under_chance_on_their_mean_are_named():
    knobs = SimpleNamespace(epochs=3, backbone="resnet50", image_size=64, teacher_weights="random_calibrated")
    planned = {"weak": knobs, "mixed": knobs, "good": knobs}
    plan = SimpleNamespace(variant_run=planned.get)
    runs = pd.DataFrame(
        [
            _row("weak", "nut", 0.40),
            _row("weak", "grass", 0.44),
            _row("gone", "nut", 0.10),  # a variant no longer in the plan: the report names it elsewhere
            _row("mixed", "nut", 0.30),
            _row("mixed", "grass", 0.80),  # mean 0.55: not named
            _row("good", "nut", 0.95),
            _row("good", "nut", 0.10, level="M1"),  # another level: not read
            _row("good", "grass", 0.20, metric="pixel_auroc"),  # another metric: not read
        ]
    )
    assert below_chance(plan, runs) == [
        "weak: image AUROC 42.0 on the mean of 2 run(s), under chance. It trains 3 epochs of a resnet50 at 64 px "
        "from a random_calibrated teacher, too little to learn these categories within the demo's time budget; its "
        "cells say nothing about the method."
    ]
