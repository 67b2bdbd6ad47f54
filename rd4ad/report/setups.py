"""What actually ran behind a table's columns: each setting's variant with its backbone, image size, epochs
and teacher, printed beside the paper's labels (a demo's "256 × 256" is a ResNet18 at 64 px) on the page, in
the exports and in the summary."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from rd4ad.planning.plan import Plan
from rd4ad.published.tables import TableSpec

SETUP_COLUMNS = ["variant", "backbone", "image_size", "epochs", "teacher"]


@dataclass(frozen=True)
class Setup:
    """The knobs of one variant that a reader compares with the paper's labels."""

    variant: str
    backbone: str
    image_size: int
    epochs: int
    teacher: str  # its teacher_weights

    @property
    def text(self) -> str:
        return f"{self.backbone}, {self.image_size} px, {self.epochs} epochs, teacher {self.teacher}"


def variant_setup(plan: Plan, variant: str) -> Setup | None:
    """The setup of ``variant``'s planned runs, None if the plan holds none."""
    run = plan.variant_run(variant)
    if run is None:
        return None
    return Setup(variant, run.backbone, run.image_size, run.epochs, run.teacher_weights)


def setups_line(plan: Plan, spec: TableSpec) -> str:
    """Per variant of ``spec``, the settings it fills (the paper's labels) and what ran, e.g.
    ``256 × 256 = headline: resnet18, 64 px, 40 epochs, teacher random_calibrated``."""
    labels: dict[str, list[str]] = {}
    for setting in spec.settings:
        labels.setdefault(setting.variant, []).append(setting.label or setting.key)
    parts = []
    for variant, names in labels.items():
        setup = variant_setup(plan, variant)
        parts.append(f"{', '.join(dict.fromkeys(names))} = {variant}: {setup.text if setup else 'no runs planned'}")
    return "Runs: " + "; ".join(parts) + "."


def setup_columns(plan: Plan, variants: pd.Series) -> pd.DataFrame:
    """``SETUP_COLUMNS`` of each cell's variant (empty where the plan holds no run of it)."""
    setups = {v: variant_setup(plan, v) for v in variants.unique()}
    return pd.DataFrame(
        [
            [v, s.backbone, s.image_size, s.epochs, s.teacher] if (s := setups[v]) else [v, "", pd.NA, pd.NA, ""]
            for v in variants
        ],
        columns=SETUP_COLUMNS,
        index=variants.index,
    )
