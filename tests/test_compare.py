"""``python -m rd4ad compare`` on small fabricated results trees: a candidate better by
construction, noise, one seed, two trees, and a missing variant as one clear error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from results_fixtures import write_metrics

from rd4ad.cli import main
from rd4ad.results.comparisons import compare_variants
from rd4ad.results.tree import collect_runs

CATEGORIES = ("carpet", "grid", "leather", "tile", "wood", "bottle")


def write_variant(root: Path, variant: str, values: np.ndarray) -> None:
    """``values`` (categories × seeds, percent) as every metric of ``variant``'s runs; NaN: no run."""
    for i, category in enumerate(CATEGORIES[: values.shape[0]]):
        for seed, value in enumerate(values[i]):
            if not np.isnan(value):
                metrics = dict.fromkeys(("image_auroc", "pixel_auroc", "pro", "pro_public"), round(value / 100, 8))
                write_metrics(
                    root / "mvtec" / category / variant / f"seed{seed}", ("mvtec", category, variant, seed), metrics
                )


REFERENCE = 90.0 + np.arange(6)[:, None] + 0.1 * np.arange(3)[None, :]
BETTER = np.array([0.5, 1.0, 1.5])[None, :] + 0.2 * np.arange(6)[:, None]  # category means 1.0 … 2.0
NOISE = np.array([1.0, -1.0, 2.0, -2.0, 0.5, -0.5])[:, None] + np.array([-0.3, 0.0, 0.3])[None, :]


def summary_line(out: str, metric: str) -> list[str]:
    return next(line.split() for line in out.splitlines() if line.split()[:2] == ["mvtec", metric])


def test_compare_says_better_for_a_better_candidate(tmp_path, capsys):
    write_variant(tmp_path, "ref", REFERENCE)
    write_variant(tmp_path, "cand", REFERENCE + BETTER)
    assert main(["compare", "--results", str(tmp_path), "--reference", "ref", "--candidate", "cand"]) == 0
    out = capsys.readouterr().out
    line = summary_line(out, "image_auroc")
    assert line[2:5] == ["6", "×", "3"] and line[5] == "+1.50" and line[8] == "0.0312"
    assert line[-1] == "better" and float(line[9]) == pytest.approx(0.47, abs=0.02)
    assert "carpet      3  +1.00 [-0.24, +2.24]" in out  # 1.0 ± t(2)·0.5/√3


def test_compare_finds_no_evidence_in_noise_across_two_trees(tmp_path, capsys):
    write_variant(tmp_path / "before", "wrn", REFERENCE)
    write_variant(tmp_path / "after", "wrn", REFERENCE + NOISE)
    assert (
        main(
            [
                "compare",
                "--results",
                str(tmp_path / "before"),
                "--results",
                str(tmp_path / "after"),
                "--reference",
                "wrn",
                "--candidate",
                "wrn",
            ]
        )
        == 0
    )
    line = summary_line(capsys.readouterr().out, "pro")
    assert line[5] == "+0.00" and line[8] == "1" and line[-2:] == ["no", "evidence"]
    assert float(line[9]) == pytest.approx(1.52, abs=0.06)  # 2.80 × SE 0.543


def test_one_seed_pairs_categories_only(tmp_path):
    write_variant(tmp_path, "ref", REFERENCE[:, :1] - 10)
    write_variant(tmp_path, "cand", REFERENCE[:, :1] - 10 + np.arange(1.0, 7.0)[:, None])  # Δ 1 … 6
    runs = collect_runs(tmp_path)
    comparison = compare_variants(runs, runs, "ref", "cand")
    summary = comparison.summary.set_index("metric").loc["image_auroc"]
    assert summary["mean"] == pytest.approx(3.5) and summary["p_value"] == pytest.approx(0.03125)
    assert summary["verdict"] == "better" and summary["n_values"] == 6
    assert comparison.categories["low"].isna().all()


def test_unpaired_seeds_and_categories_are_left_out(tmp_path):
    reference = REFERENCE.copy()
    reference[0, 2] = np.nan  # carpet lacks seed 2 in the reference
    write_variant(tmp_path, "ref", reference[:5])  # and bottle has no reference runs at all
    write_variant(tmp_path, "cand", REFERENCE + BETTER)
    runs = collect_runs(tmp_path)
    comparison = compare_variants(runs, runs, "ref", "cand")
    rows = comparison.categories[comparison.categories["metric"] == "pro"].set_index("category")
    assert list(rows.index) == ["carpet", "grid", "leather", "tile", "wood"]
    assert rows.loc["carpet", "n"] == 2 and rows.loc["carpet", "mean"] == pytest.approx(
        0.75
    )  # seeds 0, 1: (0.5 + 1.0) / 2


def test_a_missing_variant_is_one_clear_error(tmp_path, capsys):
    write_variant(tmp_path, "ref", REFERENCE)
    assert main(["compare", "--results", str(tmp_path), "--reference", "ref", "--candidate", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no metrics.json of the candidate variant 'nope' (variants with results: ref)" in err
