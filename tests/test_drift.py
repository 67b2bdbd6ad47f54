"""Drift check: tolerance fixed in the baseline's numerics environment, max(fixed, k × seed spread)
in another; missing and new values fail; a NaN metric or a bad tolerance is an error."""

from __future__ import annotations

import hashlib
import json

import pytest
from results_fixtures import build_tree

from rd4ad.cli import main
from rd4ad.drift import N_LISTED

CARPET = "mvtec/carpet/headline/seed111/M1+2+3/image_auroc"  # seeds 111/112: 0.99, 0.97 → spread 1.414 pp
BOTTLE = "mvtec/bottle/headline/seed111/M1+2+3/image_auroc"  # seeds 111/112: 1.00, 1.00 → spread 0
PINNED = {
    "cpu_numerics": "pinned",
    "torch": "2.14.1",
    "machine": "x86_64",
    "cpu": "AMD EPYC",
    "cpu_vector_isa": ["avx2", "avx512f"],
    "aten_capability": "AVX2",
    "mkldnn": False,
    "nnpack": False,
    "threads": 1,
    "env": {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "avx2"},
}
PINNED_FLAT = {
    **{k: v for k, v in PINNED.items() if k != "env"},
    "env.MKL_CBWR": "COMPATIBLE",
    "env.ATEN_CPU_CAPABILITY": "avx2",
}


def _set_numerics(results, **change):
    for path in results.rglob("metrics.json"):
        metrics = json.loads(path.read_text())
        metrics["numerics"] = {"train": {**PINNED, **change}, "evaluate": {**PINNED, **change}}
        path.write_text(json.dumps(metrics))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _set_digests(results, run=None, **stages):
    """Stage digests as evaluate writes them (inputs and outputs); ``run``: only that run, with ``stages``."""
    for path in results.rglob("metrics.json"):
        key = str(path.parent.relative_to(results))
        if run is not None and key != run:
            continue
        metrics = json.loads(path.read_text())
        inputs = {s: stages.get(s, _digest(f"{key}/{s}")) for s in ("train_data", "teacher", "test_data")}
        metrics["inputs"] = inputs
        metrics["outputs"] = {s: stages.get(s, _digest(f"{key}/{s}")) for s in ("student", "maps")}
        path.write_text(json.dumps(metrics))


@pytest.fixture
def frozen(tmp_path, capsys):
    _, results = build_tree(tmp_path, artifacts=False)
    _set_numerics(results)
    _set_digests(results)
    baseline = tmp_path / "baseline.json"
    assert (
        main(["drift", "--write-baseline", str(baseline), "--results", str(results), "--reference-seeds", "111"]) == 0
    )
    capsys.readouterr()
    for other_seed in results.glob("*/*/*/seed112"):  # CI runs the reference seed only
        (other_seed / "metrics.json").unlink()
    return results, baseline


def _metrics(results, run="mvtec/carpet/headline/seed111"):
    return results / run / "metrics.json"


def _set(results, value, run="mvtec/carpet/headline/seed111", metric="image_auroc", raw=False):
    path = _metrics(results, run)
    data = json.loads(path.read_text())
    data["levels"]["M1+2+3"][metric] = value if raw else data["levels"]["M1+2+3"][metric] + value
    path.write_text(json.dumps(data))


def _line(out: str, key: str) -> list[str]:
    return next(line for line in out.splitlines() if line.startswith(key) or f" {key} " in f" {line} ").split()


def test_baseline_holds_reference_values_and_seed_spread(frozen):
    _, baseline = frozen
    data = json.loads(baseline.read_text())
    assert data["format"] == 3 and data["seeds"] == [111, 112] and data["reference_seeds"] == [111]
    assert data["tolerance"] == {"fixed_pp": 0.5, "k": 3.0} and data["environment"] == PINNED_FLAT
    assert data["values"][CARPET] == 0.99
    assert "mvtec/carpet/headline/seed112/M1+2+3/image_auroc" not in data["values"]
    assert data["values"]["mnist/0/novelty_r18/seed111/M1/pixel_auroc"] is None
    assert data["spread_pp"]["mvtec/carpet/headline/M1+2+3/image_auroc"] == pytest.approx(2**0.5)
    assert data["spread_pp"]["mvtec/bottle/headline/M1+2+3/image_auroc"] == 0.0
    assert data["spread_pp"]["mnist/0/novelty_r18/M1+2+3/image_auroc"] is None  # one seed: no spread
    run = "mvtec/carpet/headline/seed111"
    assert sorted(data["digests"][run]) == ["maps", "student", "teacher", "test_data", "train_data"]
    assert data["digests"][run]["teacher"] == _digest(f"{run}/teacher")
    assert not any(key.endswith("seed112") for key in data["digests"])  # the reference seeds' runs only


def test_equal_metrics_pass_bit_identical(frozen, capsys):
    results, baseline = frozen
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1].endswith(": 110 ok, 0 DRIFT, 0 missing, 0 new; 110 bit-identical")
    assert "numerics environment: the baseline's" in out


def test_same_environment_tolerance_is_fixed(frozen, capsys):
    results, baseline = frozen
    _set(results, -0.004)  # 0.4 pp < 0.5 pp
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 0
    capsys.readouterr()
    _set(results, -0.003)  # 0.7 pp: the seed spread does not matter here
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 1
    out = capsys.readouterr().out
    assert _line(out.split("largest moves")[0], CARPET)[-3:] == ["-0.7", "0.5", "DRIFT"]
    assert out.splitlines()[-1].startswith("drift: 110 values, tolerance 0.5 pp: 109 ok, 1 DRIFT")


def test_other_environment_tolerance_is_k_times_seed_spread(frozen, capsys):
    results, baseline = frozen
    _set_numerics(results, torch="2.15.0")
    _set(results, -0.04)  # 4 pp < 3 × 1.414 pp: as far as another seed moves it
    _set(results, -0.004, run="mvtec/bottle/headline/seed111")  # 0.4 pp < fixed 0.5 pp
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert "numerics environment differs from the baseline's" in out and "  torch: '2.14.1' → '2.15.0'" in out
    assert _line(out, CARPET)[3:5] == ["-4", "4.243"]  # largest moves: drift, tolerance
    _set(results, -0.003, run="mvtec/bottle/headline/seed111")  # 0.7 pp > 0.5 pp, spread 0
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 1
    out = capsys.readouterr().out
    assert _line(out.split("largest moves")[0], BOTTLE)[-3:] == ["-0.7", "0.5", "DRIFT"]
    assert main(["drift", "--baseline", str(baseline), "--results", str(results), "--k", "1"]) == 1
    assert f"{CARPET} " in capsys.readouterr().out.split("largest moves")[0]  # 4 pp > 1 × 1.414 pp


def test_another_cpu_is_another_environment_even_when_pinned(frozen, capsys):
    """Pinned runs of one commit have given other bits on an Intel Xeon than on an AMD EPYC: the CPU
    counts; only the ISA-limiting variables, which pinned numerics make irrelevant, do not."""
    results, baseline = frozen
    _set_numerics(results, env={**PINNED["env"], "ONEDNN_MAX_CPU_ISA": "AVX2"})
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 0
    assert "numerics environment: the baseline's" in capsys.readouterr().out
    _set(results, -0.04)  # 4 pp < 3 × 1.414 pp: within the other-environment tolerance only
    for cpu, isa in (("Intel Xeon", ["avx2", "avx512f"]), ("AMD EPYC", ["avx2"])):
        _set_numerics(results, cpu=cpu, cpu_vector_isa=isa)
        assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 0
        out = capsys.readouterr().out
        assert "numerics environment differs" in out, out
    assert "  cpu_vector_isa: ['avx2', 'avx512f'] → ['avx2']" in out.splitlines()
    _set_numerics(results, cpu_numerics="native", cpu="Intel Xeon")
    data = json.loads(baseline.read_text())
    data["environment"] = {**PINNED_FLAT, "cpu_numerics": "native"}
    baseline.write_text(json.dumps(data))
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 0
    assert "numerics environment differs" in capsys.readouterr().out


@pytest.mark.parametrize("option", [["--tol", "nan"], ["--tol", "-1"], ["--k", "inf"], ["--k", "nan"]])
def test_non_finite_or_negative_tolerance_is_an_error(frozen, capsys, option):
    results, baseline = frozen
    with pytest.raises(SystemExit) as exit_info:
        main(["drift", "--baseline", str(baseline), "--results", str(results), *option])
    assert exit_info.value.code == 2
    assert f"argument {option[0]}: '{option[1]}': give a finite number >= 0" in capsys.readouterr().err


def test_baseline_with_nan_tolerance_is_an_error(frozen, capsys):
    results, baseline = frozen
    data = json.loads(baseline.read_text())
    data["tolerance"]["fixed_pp"] = float("nan")
    baseline.write_text(json.dumps(data))
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 2
    assert "tolerance.fixed_pp" in capsys.readouterr().err


def _first(data: dict, name: str) -> str:
    return sorted(data[name])[0]


@pytest.mark.parametrize(
    "damage, message",
    [
        (
            lambda d: d["values"].update({_first(d, "values"): float("nan")}),
            "values.{v} = nan is not a number in [0, 1]",
        ),
        (lambda d: d["values"].update({_first(d, "values"): 1.5}), "values.{v} = 1.5 is not a number in [0, 1]"),
        (lambda d: d["values"].update({_first(d, "values"): "0.9"}), "values.{v} = '0.9' is not a number in [0, 1]"),
        (
            lambda d: d["spread_pp"].update({_first(d, "spread_pp"): -1}),
            "spread_pp.{s} = -1 is not a number in [0, 100]",
        ),
        (
            lambda d: d["spread_pp"].update({_first(d, "spread_pp"): float("inf")}),
            "spread_pp.{s} = inf is not a number",
        ),
        (lambda d: d.pop("seeds"), "seeds None / reference_seeds [111] must be non-empty lists"),
        (
            lambda d: d.update(reference_seeds=[7]),
            "reference_seeds [7] must be non-empty lists of whole numbers >= 0, the reference seeds among the seeds",
        ),
        (lambda d: d["tolerance"].update(fixed_pp=1e9), "tolerance.fixed_pp = 1e+09 would let any regression pass"),
        (lambda d: d["tolerance"].update(k=50), "tolerance.k = 50 would let any regression pass (at most 10)"),
    ],
    ids=[
        "nan",
        "above_one",
        "string",
        "negative_spread",
        "inf_spread",
        "no_seeds",
        "foreign_reference",
        "huge_tol",
        "huge_k",
    ],
)
def test_a_bad_baseline_fails_as_a_bad_baseline_naming_the_key(frozen, capsys, damage, message):
    """Never "drift of the results", never a pass: the baseline itself is named, with its key."""
    results, baseline = frozen
    data = json.loads(baseline.read_text())
    message = message.format(v=_first(data, "values"), s=_first(data, "spread_pp"))
    damage(data)
    baseline.write_text(json.dumps(data))
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"rd4ad drift: error: {baseline}: ") and message in err and err.count("\n") == 1, err


def test_nan_metric_is_an_error_and_is_never_frozen(frozen, tmp_path, capsys):
    results, baseline = frozen
    _set(results, float("nan"), run="mvtec/bottle/headline/seed111", raw=True)
    bad = _metrics(results, "mvtec/bottle/headline/seed111")
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 2
    assert f"{bad}: levels.M1+2+3.image_auroc = nan is not a number in [0, 1]" in capsys.readouterr().err
    assert main(["drift", "--write-baseline", str(tmp_path / "b2.json"), "--results", str(results)]) == 2
    assert f"{bad}: levels.M1+2+3.image_auroc = nan" in capsys.readouterr().err
    assert not (tmp_path / "b2.json").exists()


def test_value_where_baseline_has_null_drifts(frozen, capsys):
    results, baseline = frozen
    _set(results, 0.5, run="mnist/0/novelty_r18/seed111", metric="pixel_auroc", raw=True)
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 1
    assert _line(capsys.readouterr().out, "mnist/0/novelty_r18/seed111/M1+2+3/pixel_auroc")[-1] == "DRIFT"


def test_vanished_and_new_runs_fail(frozen, tmp_path, capsys):
    results, baseline = frozen
    (results / "mnist/1/novelty_r18/seed112").mkdir()
    (results / "mnist/1/novelty_r18/seed111/metrics.json").rename(results / "mnist/1/novelty_r18/seed112/metrics.json")
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 1
    summary = capsys.readouterr().out.splitlines()[-1]
    assert "20 missing, 20 new" in summary  # 5 level subsets × 4 metrics each
    assert main(["drift", "--baseline", str(results / "none.json"), "--results", str(results)]) == 2
    assert "--write-baseline" in capsys.readouterr().err


def test_runs_that_disagree_on_a_field_are_listed(frozen, capsys):
    results, baseline = frozen
    metrics = _metrics(results)
    data = json.loads(metrics.read_text())
    data["numerics"]["evaluate"] = {**PINNED, "cpu": "Intel Xeon", "env": {**PINNED["env"], "OMP_NUM_THREADS": "1"}}
    metrics.write_text(json.dumps(data))
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert "  cpu: 'AMD EPYC' → ['AMD EPYC', 'Intel Xeon']" in out.splitlines()
    assert "numerics environment differs" in out
    assert "OMP_NUM_THREADS" not in out  # thread variables are not kernel choices


def test_the_first_stage_whose_bits_differ_is_named(frozen, capsys):
    results, baseline = frozen
    teacher, student = "mvtec/carpet/headline/seed111", "mvtec/bottle/headline/seed111"
    _set_digests(results, run=teacher, teacher=_digest("another teacher"), student=_digest("another student"))
    _set_digests(results, run=student, student=_digest("another student"))
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 0  # values are unchanged
    out = capsys.readouterr().out
    section = out.split("where the bits part")[1].split("\n\n")[0].splitlines()
    assert "  teacher: 1 run" in section and "  student: 1 run" in section and "  identical: 3 runs" in section
    old = _digest(f"{teacher}/teacher")
    assert f"    {teacher}: {old[:12]}… → {_digest('another teacher')[:12]}…" in section
    assert section.index("  teacher: 1 run") < section.index("  student: 1 run")  # in the order a run makes them


def test_a_baseline_without_digests_is_refused(frozen, capsys):
    results, baseline = frozen
    data = json.loads(baseline.read_text())
    data["digests"]["mvtec/carpet/headline/seed111"]["teacher"] = "not a digest"
    baseline.write_text(json.dumps(data))
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 2
    err = capsys.readouterr().err
    assert "digests.mvtec/carpet/headline/seed111 must map stages" in err
    del data["digests"]
    baseline.write_text(json.dumps(data))
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 2
    assert "not a drift baseline of format 3" in capsys.readouterr().err


def test_results_of_seeds_the_baseline_lacks_are_summarised_not_listed_one_by_one(tmp_path, capsys):
    _, results = build_tree(tmp_path, artifacts=False)
    baseline = tmp_path / "baseline.json"
    write = ["--write-baseline", str(baseline), "--results", str(results), "--reference-seeds", "111"]
    assert main(["drift", *write]) == 0
    capsys.readouterr()
    assert main(["drift", "--baseline", str(baseline), "--results", str(results)]) == 1
    out = capsys.readouterr().out
    new = int(out.splitlines()[-1].split(" new")[0].rsplit(", ", 1)[1])
    assert new > N_LISTED and len(out.splitlines()) < N_LISTED + 30, out
    assert f"and {new - N_LISTED} more failing values ({new - N_LISTED} new)" in out
    assert "the results hold seeds [112], of which the baseline holds no values (its reference seeds: [111])" in out
