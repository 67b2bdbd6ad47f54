"""Report inputs are checked as they are read: a bad metric, timing, list-valued JSON, corrupt
examples or scores is one error naming the file (and key); names never break a figure."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from results_fixtures import build_tree

from rd4ad.cli import main
from rd4ad.files.errors import RD4ADError
from rd4ad.report.figures import anomaly_overlays, delta_heatmap, loss_curves, save_figure, score_histograms
from rd4ad.results.tree import collect_complexity, collect_runs

HOSTILE_LABEL = "$x^$ a_b"


@pytest.fixture
def tree(tmp_path):
    plan, results = build_tree(tmp_path)
    return plan, results, results / "mvtec/carpet/headline/seed111"


def _report(plan, results, capsys) -> str:
    out = results.parent / "reports" / "index.html"
    assert main(["report", "--plan", str(plan), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and not out.exists()
    return err


@pytest.mark.parametrize(
    "text, shown",
    [
        ("NaN", "nan"),
        ("7.5", "7.5"),
        ("Infinity", "inf"),
        ("-0.1", "-0.1"),
        ('"0.9"', "'0.9'"),
        ("true", "True"),
    ],
)
def test_a_metric_that_is_not_a_fraction_names_file_and_key(tree, capsys, text, shown):
    plan, results, run = tree
    metrics = run / "metrics.json"
    metrics.write_text(metrics.read_text().replace('"image_auroc": 0.99', f'"image_auroc": {text}', 1))
    message = (
        f"{metrics}: levels.M1+2+3.image_auroc = {shown} is not a number in [0, 1] (or null); "
        "delete it and re-run python -m rd4ad evaluate (or snakemake)"
    )
    with pytest.raises(RD4ADError) as err:
        collect_runs(results)
    assert str(err.value) == message
    assert _report(plan, results, capsys) == f"rd4ad report: error: {message}\n"


@pytest.mark.parametrize(
    "content, message",
    [
        ("[1, 2]", "holds a JSON list, not an object"),
        ('{"headline": "M1+2+3", "levels": {"M1+2+3": [0.9]}}', "levels.M1+2+3 is not an object of metrics"),
    ],
)
def test_malformed_metrics_json_names_the_file(tree, capsys, content, message):
    plan, results, run = tree
    (run / "metrics.json").write_text(content)
    assert f"{run / 'metrics.json'}: {message}" in _report(plan, results, capsys)


def test_a_timing_must_be_finite_and_not_negative(tree, capsys):
    _, results, _ = tree
    path = results / "mvtec/complexity/headline.json"
    for good in ("0.5", "0.0113"):  # the CPU figure and the GPU's
        for bad, shown in (("-1", "-1"), ("Infinity", "inf")):
            path.write_text(path.read_text().replace(f'"infer_s": {good}', f'"infer_s": {bad}'))
            with pytest.raises(RD4ADError, match=rf"infer_s = {shown} is not a number in \[0, inf\]"):
                collect_complexity(results)
            path.write_text(path.read_text().replace(f'"infer_s": {bad}', f'"infer_s": {good}'))
    assert collect_complexity(results)["value"].tolist() == [0.5, 400.0, 0.0113, 1520.4]


@pytest.mark.parametrize(
    "damage, message",
    [
        ("garbage", "unreadable (not an .npz archive of arrays: BadZipFile"),
        ("no maps", "missing ['maps']"),
        ("wrong shape", "needs images, masks, maps, names of matching shapes"),
    ],
)
def test_corrupt_examples_npz_names_the_file(tree, capsys, damage, message):
    plan, results, run = tree
    path = run / "examples.npz"
    if damage == "garbage":
        path.write_bytes(b"PK\x03\x04 not really a zip")
    else:
        with np.load(path) as data:
            arrays = dict(data)
        if damage == "no maps":
            del arrays["maps"]
        else:
            arrays["maps"] = arrays["maps"][:, :5]
        np.savez(path, **arrays)
    assert f"rd4ad report: error: {path}: " in (err := _report(plan, results, capsys)) and message in err


def test_unreadable_scores_csv_names_the_file(tree, capsys):
    plan, results, run = tree
    (run / "scores.csv").write_text("name,defect\nx,good\n")
    assert f"{run / 'scores.csv'}: has no 'label' column" in _report(plan, results, capsys)
    (run / "scores.csv").write_bytes(b"\xff\xfe\x00garbage")
    assert f"{run / 'scores.csv'}: not a readable CSV" in _report(plan, results, capsys)


def test_every_label_is_plain_text(tmp_path):
    rng = np.random.default_rng(0)
    scores = pd.DataFrame({"category": HOSTILE_LABEL, "label": [0, 1] * 10, "score": rng.random(20)})
    losses = pd.DataFrame(
        {
            "epoch": [1, 2, 1, 2],
            "loss": [0.5, 0.4, 0.6, 0.5],
            "seed": [0, 0, 1, 1],
            "category": HOSTILE_LABEL,
            "variant": "v$1^$",
        }
    )
    masks = np.zeros((2, 16, 16), np.uint8)
    masks[1, 4:8, 4:8] = 1
    examples = {
        HOSTILE_LABEL: {
            "images": rng.integers(0, 255, (2, 3, 16, 16), dtype=np.uint8),
            "masks": masks,
            "maps": rng.random((2, 16, 16)).astype(np.float32),
            "names": np.array(["test/good/000", "test/$oil^$/001"]),
        }
    }
    deltas = pd.DataFrame({"T1 $x^$ image AUROC": [1.5, -0.5]}, index=[HOSTILE_LABEL, "Mean"])
    figures = {
        "scores": score_histograms(scores, f"title {HOSTILE_LABEL}"),
        "overlays": anomaly_overlays(examples, HOSTILE_LABEL),
        "loss": loss_curves(losses, HOSTILE_LABEL),
        "deltas": delta_heatmap(deltas, HOSTILE_LABEL),
    }
    for name, fig in figures.items():
        assert save_figure(fig, tmp_path / f"{name}.png").stat().st_size > 1000
    assert (
        json.dumps(sorted(p.name for p in tmp_path.iterdir()))
        == '["deltas.png", "loss.png", "overlays.png", "scores.png"]'
    )


@pytest.mark.parametrize("content", ["epoch,loss,seconds\n1,0.5,1.0\n2,abc,1.0\n", "epoch,loss,seconds\n1,inf,1.0\n"])
def test_a_loss_log_with_a_value_that_is_not_a_number_names_the_file(tree, capsys, content):
    plan, results, run = tree
    (run / "loss.csv").write_text(content)
    err = _report(plan, results, capsys)
    assert err == (
        f"rd4ad report: error: {run / 'loss.csv'}: column 'loss' holds a value that is not a finite "
        "number; delete the file and re-run the step that writes it (training writes loss.csv and "
        "audit_epochs.csv)\n"
    )
