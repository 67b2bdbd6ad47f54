"""``python -m rd4ad compare`` on small fabricated results trees: a candidate better by
construction, noise, one seed, two trees, seeds paired by number, and a missing variant, nothing to
compare or a bad seed as one clear error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from results_fixtures import write_metrics

from rd4ad.cli import main
from rd4ad.results.comparisons import compare_variants
from rd4ad.results.tree import collect_runs

CATEGORIES = ("carpet", "grid", "leather", "tile", "wood", "bottle", "cable")


def write_variant(root: Path, variant: str, values: np.ndarray, seeds=None) -> None:
    """``values`` (categories × seeds, percent) as every metric of ``variant``'s runs of ``seeds``
    (default 0, 1, …); NaN: no run."""
    for i, category in enumerate(CATEGORIES[: values.shape[0]]):
        for seed, value in zip(seeds or range(values.shape[1]), values[i]):
            if not np.isnan(value):
                metrics = dict.fromkeys(("image_auroc", "pixel_auroc", "pro", "pro_public"), round(value / 100, 8))
                write_metrics(
                    root / "mvtec" / category / variant / f"seed{seed}", ("mvtec", category, variant, seed), metrics
                )


REFERENCE = 90.0 + np.arange(7)[:, None] + 0.1 * np.arange(3)[None, :]
BETTER = np.array([0.5, 1.0, 1.5])[None, :] + 0.2 * np.arange(7)[:, None]  # category means 1.0 … 2.2
NOISE = np.array([1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 0.0])[:, None] + np.array([-0.3, 0.0, 0.3])[None, :]


def summary_line(out: str, metric: str) -> list[str]:
    return next(line.split() for line in out.splitlines() if line.split()[:2] == ["mvtec", metric])


def test_compare_says_better_for_a_better_candidate(tmp_path, capsys):
    write_variant(tmp_path, "ref", REFERENCE)
    write_variant(tmp_path, "cand", REFERENCE + BETTER)
    assert main(["compare", "--results", str(tmp_path), "--reference", "ref", "--candidate", "cand"]) == 0
    out = capsys.readouterr().out
    line = summary_line(out, "image_auroc")
    # 7 categories all better: p = 2 / 2^7 each, Holm over the three metrics: 3 · 0.0156 = 0.0469
    assert line[2:5] == ["7", "×", "3"] and line[5] == "+1.60" and line[8] == "0.0469"
    assert line[-1] == "better" and float(line[9]) > 0
    assert "carpet      3  +1.00 [-0.24, +2.24]" in out  # 1.0 ± t(2)·0.5/√3
    assert "unpaired" not in out


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
    assert float(line[9]) > 1.0  # the spread of the category means, 1.35 pp: blind below that


def test_one_seed_pairs_categories_only(tmp_path):
    write_variant(tmp_path, "ref", REFERENCE[:, :1] - 10)
    write_variant(tmp_path, "cand", REFERENCE[:, :1] - 10 + np.arange(1.0, 8.0)[:, None])  # Δ 1 … 7
    runs = collect_runs(tmp_path)
    comparison = compare_variants(runs, runs, "ref", "cand")
    summary = comparison.summary.set_index("metric").loc["image_auroc"]
    assert summary["mean"] == pytest.approx(4.0) and summary["p_value"] == pytest.approx(2 / 2**7)
    assert summary["p_holm"] == pytest.approx(3 * 2 / 2**7) and summary["verdict"] == "better"
    assert summary["n_values"] == 7 and comparison.categories["low"].isna().all()


def test_six_categories_and_three_metrics_say_what_they_need(tmp_path, capsys):
    write_variant(tmp_path, "ref", REFERENCE[:6])
    write_variant(tmp_path, "cand", REFERENCE[:6] + BETTER[:6])
    assert main(["compare", "--results", str(tmp_path), "--reference", "ref", "--candidate", "cand"]) == 0
    line = summary_line(capsys.readouterr().out, "pro")
    assert line[-4:] == ["needs", "≥", "7", "categories"] and line[-6:-4] == ["not", "estimable"]


def test_seeds_pair_by_number_and_the_unpaired_are_listed(tmp_path, capsys):
    write_variant(tmp_path / "a", "wrn", REFERENCE, seeds=[0, 1, 2])
    write_variant(tmp_path / "b", "wrn", REFERENCE + BETTER, seeds=[2, 3, 4])
    args = ["compare", "--results", str(tmp_path / "a"), "--results", str(tmp_path / "b")]
    assert main([*args, "--reference", "wrn", "--candidate", "wrn"]) == 0
    out = capsys.readouterr().out
    # seed 2 only: the reference's 90.2 + c against the candidate's 90 + c + 0.5 + 0.2 c (its first column)
    assert summary_line(out, "pro")[2:5] == ["7", "×", "1"]
    assert summary_line(out, "pro")[5] == "+0.90"  # mean of 0.3 + 0.2 c over c = 0 … 6
    assert "unpaired seeds (left out), mvtec: wrn 0, 1; wrn 3, 4" in out


def test_nothing_to_compare_is_one_line_and_exit_1(tmp_path, capsys):
    write_variant(tmp_path / "a", "wrn", REFERENCE, seeds=[0, 1, 2])
    write_variant(tmp_path / "b", "wrn", REFERENCE + BETTER, seeds=[5, 6, 7])
    args = ["compare", "--results", str(tmp_path / "a"), "--results", str(tmp_path / "b")]
    assert main([*args, "--reference", "wrn", "--candidate", "wrn"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("nothing to compare") and "wrn 0, 1, 2; wrn 5, 6, 7" in captured.err


def test_a_negative_seed_is_an_argument_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "--results", str(tmp_path), "--reference", "a", "--candidate", "b", "--seed", "-1"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--seed: '-1': give an integer >= 0" in err and "unexpected" not in err


def test_unpaired_seeds_and_categories_are_left_out(tmp_path):
    reference = REFERENCE.copy()
    reference[0, 2] = np.nan  # carpet lacks seed 2 in the reference
    write_variant(tmp_path, "ref", reference[:5])  # and bottle, cable have no reference runs at all
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
