"""Drift check: exit 0 on equal metrics, 1 past tolerance or on a vanished run, 2 without baseline."""

from __future__ import annotations

import json

import pytest

from results_fixtures import build_tree
from rd4ad.cli import main


@pytest.fixture
def frozen(tmp_path, capsys):
    _, results = build_tree(tmp_path, artifacts=False)
    baseline = tmp_path / "baseline.json"
    assert main(["drift", "--write-baseline", str(baseline), "--results", str(results)]) == 0
    capsys.readouterr()
    return results, baseline


def _shift(results, dx: float) -> None:
    path = results / "mvtec/carpet/wrn50_256/seed111/metrics.json"
    data = json.loads(path.read_text())
    data["levels"]["M1+2+3"]["image_auroc"] += dx
    path.write_text(json.dumps(data))


def test_equal_metrics_pass(frozen, capsys):
    results, baseline = frozen
    values = json.loads(baseline.read_text())["values"]
    assert values["mvtec/carpet/wrn50_256/seed111/M1+2+3/image_auroc"] == 0.99
    assert values["mnist/0/novelty_r18/seed111/M1/pixel_auroc"] is None
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 0
    assert "no differences" in capsys.readouterr().out


def test_shifted_metric_fails_and_is_named(frozen, capsys):
    results, baseline = frozen
    _shift(results, -0.01)
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 1
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if "mvtec/carpet/wrn50_256/seed111/M1+2+3/image_auroc" in l)
    assert line.split()[-2:] == ["-1", "DRIFT"]                      # -1 percentage point
    assert "1 DRIFT" in out
    assert main(["drift", "--baseline", str(baseline), "--results", str(results), "--tol", "1.5"]) == 0


def test_vanished_run_fails_and_missing_baseline_is_an_error(frozen, capsys):
    results, baseline = frozen
    (results / "mnist/1/novelty_r18/seed111/metrics.json").unlink()
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 1
    assert "20 missing" in capsys.readouterr().out.splitlines()[-1]      # 5 level subsets × 4 metrics
    assert main(["drift", "--baseline", str(results / "none.json"), "--results", str(results)]) == 2
    assert "--write-baseline" in capsys.readouterr().err
