"""The report's device time per table: the jobs' benchmark files beside the plan's estimates
(rd4ad/report/cost.py)."""

from __future__ import annotations

import pytest
from results_fixtures import UNRUN_DATASETS, write_config

from rd4ad.contract.layout import RunFolder
from rd4ad.planning.planner import plan_config_file
from rd4ad.report.cost import cost_frame


def _benchmark(folder: RunFolder, job: str, seconds: float) -> None:
    folder.path.mkdir(parents=True, exist_ok=True)
    folder.benchmark(job).write_text(f"s\th:m:s\n{seconds}\t0:00:00\n")


def test_device_minutes_per_table_with_the_estimate_of_the_same_runs(tmp_path):
    plan = plan_config_file(write_config(tmp_path / "c.yaml", {"mvtec": ["carpet"], "mnist": ["0"], **UNRUN_DATASETS}))
    assert cost_frame(plan).empty  # no job recorded its seconds yet
    t4 = next(k for k, p in plan.runs.items() if p.tables == ("T4",))
    headline = next(k for k, p in plan.runs.items() if "T1" in p.tables and "T7" in p.tables)
    _benchmark(plan.folder(t4), "train", 90.0)
    _benchmark(plan.folder(t4), "evaluate", 30.0)  # 2 minutes
    _benchmark(plan.folder(headline), "train", 540.0)
    _benchmark(plan.folder(headline), "evaluate", 60.0)  # 10 minutes
    _benchmark(plan.folder(next(k for k in plan.runs if k not in (t4, headline))), "train", 999.0)  # no evaluate
    assert list(cost_frame(plan).columns) == ["table", "runs", "device minutes"]  # no estimate: no such columns
    estimated = plan.with_estimates({headline: {"train_s": 600.0, "evaluate_s": 120.0}})  # 12 minutes
    table = cost_frame(estimated).set_index("table")
    assert table.loc["T4", "runs"] == 1 and table.loc["T4", "device minutes"] == pytest.approx(2.0)
    assert table.loc["T1", "device minutes"] == pytest.approx(10.0)
    assert table.loc["total", "runs"] == 2 and table.loc["total", "device minutes"] == pytest.approx(12.0)
    assert table.loc["T1", "estimated device minutes"] == pytest.approx(12.0)
    assert table.loc["T1", "estimate error %"] == pytest.approx(20.0)
    assert table.loc["total", "estimate error %"] == pytest.approx(20.0)  # against the 10 minutes of the same run
    assert (
        "T4" in table.index
        and table.loc["T4", "estimated device minutes"] != table.loc["T4", "estimated device minutes"]
    )
