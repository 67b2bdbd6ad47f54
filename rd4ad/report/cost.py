"""What the runs cost, per table: the device time the train and evaluate jobs recorded (their Snakemake
``benchmark:`` files), beside the estimate ``python -m rd4ad estimate`` wrote into the plan, where it did."""

from __future__ import annotations

import pandas as pd

from rd4ad.cost.actual import actual_seconds
from rd4ad.cost.estimate import summary
from rd4ad.planning.plan import Plan

COST_COLUMNS = ["table", "runs", "device minutes", "estimated device minutes", "estimate error %"]


def cost_frame(plan: Plan) -> pd.DataFrame:
    """Per table and in total (each run once): the runs whose train and evaluate jobs both recorded their
    seconds, their device-minutes and, for the runs the plan holds an estimate of, the estimated
    device-minutes of the same runs and its error (estimated / actual − 1, %), left out where the plan holds no
    estimate of any of them. Empty when no job recorded its seconds."""
    actual = actual_seconds(plan)
    if not actual:
        return pd.DataFrame(columns=COST_COLUMNS)
    measured = summary(plan, actual, slots=1)
    table = measured[["runs"]].assign(**{"device minutes": measured["device_hours"] * 60})
    estimated = {key: plan.estimates[key] for key in actual if key in plan.estimates}
    if estimated:
        minutes = summary(plan, estimated, slots=1)["device_hours"] * 60
        same_runs = summary(plan, {key: actual[key] for key in estimated}, slots=1)["device_hours"] * 60
        table["estimated device minutes"] = minutes
        table["estimate error %"] = 100 * (minutes / same_runs - 1)
    return table.reset_index().reindex(columns=[c for c in COST_COLUMNS if c in table.columns or c == "table"])
