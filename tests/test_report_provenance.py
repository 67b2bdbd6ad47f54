"""What produced each table (its caption: precision, Table 3's devices), which runs did not finish,
and which runs were made from inputs other than those they should share."""

from __future__ import annotations

import json
import os
import shutil

import pytest
import yaml
from results_fixtures import CPU_NAME, GPU_NAME, UNRUN_DATASETS, build_tree, write_config

from rd4ad.contract.layout import RunFolder, RunKey
from rd4ad.planning.plan import Plan
from rd4ad.planning.planner import load_yaml, plan_config_file
from rd4ad.published import load_published
from rd4ad.report.aggregate import build_cells
from rd4ad.report.build import build_report
from rd4ad.report.failures import run_failures
from rd4ad.report.inputs import FIELDS, mixed_inputs
from rd4ad.report.provenance import table_caption
from rd4ad.results.tree import collect_complexity, collect_inputs, collect_runs


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    plan_path, results = build_tree(tmp_path_factory.mktemp("provenance"))
    return Plan.read(plan_path), results


def test_table3_compares_the_cpu_and_names_both_devices(tree):
    plan, results = tree
    complexity = collect_complexity(results)
    assert sorted(zip(complexity["processor"], complexity["metric"], complexity["value"])) == [
        ("cpu", "infer_s", 0.5),
        ("cpu", "memory_mb", 400.0),
        ("gpu", "infer_s", 0.0113),
        ("gpu", "memory_mb", 1520.4),
    ]
    cells = build_cells(plan, collect_runs(results), complexity, load_published()).set_index(
        ["table", "metric", "category"]
    )
    assert cells.loc[("T3", "infer_s", "mean"), "mean"] == 0.5, "the paper's CPU figure is compared with ours on CPU"
    assert cells.loc[("T3", "memory_mb", "mean"), "delta"] == pytest.approx(400.0 - 352.0)
    caption = table_caption(plan, plan.tables["T3"], complexity)
    assert (
        f"measured on the CPU, {CPU_NAME}: 0.5 s/image, 400 MB (weights + peak RSS growth of the first "
        "inference), compared with the paper's (an Intel i7 CPU, §4.2)"
    ) in caption
    assert (
        f"On the GPU, shown without a delta: {GPU_NAME}: 0.0113 s/image, 1520 MB "
        "(torch.cuda.max_memory_allocated)" in caption
    )
    assert "GPU" not in table_caption(plan, plan.tables["T1"], complexity)


def test_caption_states_the_precision_and_teachers_of_the_runs(tmp_path):
    config = write_config(tmp_path / "config.yaml", {"mvtec": ["carpet"], "mnist": ["0"], **UNRUN_DATASETS})
    plan = plan_config_file(config)
    empty = collect_complexity(tmp_path / "results")
    assert table_caption(plan, plan.tables["T1"], empty) == (
        "Precision of the runs: fp32 (TF32 off). Teachers: wide_resnet50_2 (random init)."
    )
    data = load_yaml(config)
    data["variants"]["size_128"]["precision"] = "bf16"
    config.write_text(yaml.safe_dump(data))
    plan = plan_config_file(config)
    data["variants"]["headline"]["teacher_weights"] = "random_calibrated"
    config.write_text(yaml.safe_dump(data))
    plan = plan_config_file(config)
    assert table_caption(plan, plan.tables["T1"], empty) == (
        "Precision of the runs: bf16 autocast, fp32 weights / fp32 (TF32 off). Teachers: wide_resnet50_2 (random "
        "init); wide_resnet50_2 (random init, BatchNorm statistics calibrated on each run's normal training images)."
    )
    assert table_caption(plan, plan.tables["T3"], empty).endswith(
        "Time and memory: not measured yet. No GPU was timed (the measuring machine had none)."
    )


def test_runs_not_finished_name_their_log_and_error_line(tmp_path):
    keys = [RunKey("mvtec", c, "headline", 0) for c in ("carpet", "grid", "tile")]
    carpet, grid, _ = (RunFolder(tmp_path, k) for k in keys)
    for folder in (carpet, grid):
        folder.path.mkdir(parents=True)
    carpet.log("train").write_text("epoch 1\n")
    carpet.log("evaluate").write_text("loading\nrd4ad evaluate: error: cannot write x/scores.csv: Is a directory\n")
    grid.log("train").write_text("epoch 1\nepoch 2\n")
    failures = run_failures(tmp_path, [keys[2], keys[1], keys[0]])
    assert failures.to_dict("records") == [
        {
            "run": "mvtec/carpet/headline/seed0",
            "state": "failed",
            "job": "evaluate",
            "log": str(carpet.log("evaluate")),
            "slurm_log": "",
            "error": "rd4ad evaluate: error: cannot write x/scores.csv: Is a directory",
        },
        {
            "run": "mvtec/grid/headline/seed0",
            "state": "unfinished",
            "job": "train",
            "log": str(grid.log("train")),
            "slurm_log": "",
            "error": "",
        },
        {
            "run": "mvtec/tile/headline/seed0",
            "state": "not started",
            "job": "",
            "log": "",
            "slurm_log": "",
            "error": "",
        },
    ]


def test_a_job_cancelled_under_slurm_is_failed_with_the_schedulers_log(tmp_path):
    """The run's own log stops without an error; the newest SLURM log the plugin kept says why."""
    key = RunKey("mvtec", "carpet", "headline", 0)
    folder = RunFolder(tmp_path / "results", key)
    folder.path.mkdir(parents=True)
    folder.log("train").write_text("epoch 1\nepoch 2\n")
    logs = tmp_path / "slurm_logs"
    older, newer = (
        logs / "rule_train" / "mvtec_carpet_headline_0" / "7.log",
        logs / "rule_train" / "mvtec_carpet_headline_0" / "9.log",
    )
    older.parent.mkdir(parents=True)
    older.write_text("slurmstepd-vm: error: *** JOB 7 ON vm CANCELLED AT 2026-12-03T10:00:00 ***\n")
    newer.write_text(
        "rule train ...\nslurmstepd-vm: error: *** JOB 9 ON vm CANCELLED AT 2026-12-03T11:00:00 ***\n"
        "WorkflowError: At least one job did not complete successfully.\n"
        "srun: error: vm: task 0: Exited with exit code 1\n"
    )
    os.utime(older, (1, 1))
    (logs / "rule_train" / "mvtec_carpet_size_128_0").mkdir()  # another variant's folder: not this run's
    [row] = run_failures(tmp_path / "results", [key], logs).to_dict("records")
    assert row == {
        "run": str(key),
        "state": "failed",
        "job": "train",
        "log": str(folder.log("train")),
        "slurm_log": str(newer),
        "error": "slurmstepd-vm: error: *** JOB 9 ON vm CANCELLED AT 2026-12-03T11:00:00 ***",
    }


def _record_inputs(
    results, key: tuple, train_data: str, teacher: str = "t" * 64, teacher_weights: str = "imagenet_v1"
) -> None:
    """Give the fabricated run ``key`` the run fields and input digests evaluation writes."""
    path = results / key[0] / key[1] / key[2] / f"seed{key[3]}" / "metrics.json"
    data = json.loads(path.read_text())
    data["run"].update(
        loader=key[0],
        data_root=f"resources/{key[0]}",
        image_size=256,
        protocol={},
        backbone="wide_resnet50_2",
        teacher_weights=teacher_weights,
        bottleneck="pre+oce+mff",
    )
    data["inputs"] = {"train_data": train_data, "teacher": teacher, "test_data": f"{key[1]}-test".ljust(64, "0")}
    path.write_text(json.dumps(data))


def test_runs_of_one_split_made_from_other_data_are_named(tmp_path):
    plan, results = build_tree(tmp_path, artifacts=False)
    carpet = [
        ("mvtec", "carpet", "headline", 111),
        ("mvtec", "carpet", "headline", 112),
        ("mvtec", "carpet", "loss_eq2", 111),
    ]
    for key in carpet[:2]:
        _record_inputs(results, key, "a" * 64)
    _record_inputs(results, carpet[2], "b" * 64)  # the dataset was replaced before this run trained
    _record_inputs(results, ("mvtec", "bottle", "headline", 111), "c" * 64)
    # ("mvtec", "bottle", "headline", 112) recorded no digests: left out, not counted as different

    mixed = mixed_inputs(collect_inputs(results, FIELDS))
    assert mixed.to_dict("records") == [
        {
            "input": "training data",
            "shared by": "loader=mvtec, data_root=resources/mvtec, category=carpet, image_size=256",
            "digest": "aaaaaaaaaaaa…",
            "runs": "mvtec/carpet/headline/seed111, mvtec/carpet/headline/seed112",
            "count": 2,
        },
        {
            "input": "training data",
            "shared by": "loader=mvtec, data_root=resources/mvtec, category=carpet, image_size=256",
            "digest": "bbbbbbbbbbbb…",
            "runs": "mvtec/carpet/loss_eq2/seed111",
            "count": 1,
        },
    ]

    _record_inputs(results, ("mvtec", "bottle", "headline", 112), "c" * 64, teacher="u" * 64)
    page = build_report(plan, tmp_path / "report" / "index.html")
    html, summary = page.read_text(), (page.parent / "summary.md").read_text()
    assert "Runs made from different inputs" in html and "mvtec/carpet/loss_eq2/seed111" in html
    assert "uuuuuuuuuuuu…" in html, "a teacher that differs among runs of one backbone and weights is named too"
    assert "**Inputs differ**: 2 group(s) of runs" in summary


def test_runs_that_agree_on_their_inputs_add_no_section(tmp_path):
    plan, results = build_tree(tmp_path, artifacts=False)
    for key in [("mvtec", "carpet", "headline", 111), ("mvtec", "carpet", "headline", 112)]:
        _record_inputs(results, key, "a" * 64)
    _record_inputs(results, ("mvtec", "bottle", "headline", 111), "c" * 64)
    assert mixed_inputs(collect_inputs(results, FIELDS)).empty
    page = build_report(plan, tmp_path / "report" / "index.html")
    assert "Runs made from different inputs" not in page.read_text()
    assert "Inputs differ" not in (page.parent / "summary.md").read_text()


def test_calibrated_teachers_are_compared_within_their_training_split(tmp_path):
    """A random_calibrated teacher is calibrated on its run's training images: teachers of two categories
    differ by design; two of one category must not."""
    plan, results = build_tree(tmp_path, artifacts=False)
    calibrated = dict(teacher_weights="random_calibrated")
    _record_inputs(results, ("mvtec", "carpet", "headline", 111), "a" * 64, teacher="t" * 64, **calibrated)
    _record_inputs(results, ("mvtec", "bottle", "headline", 111), "c" * 64, teacher="u" * 64, **calibrated)
    assert mixed_inputs(collect_inputs(results, FIELDS)).empty
    _record_inputs(results, ("mvtec", "carpet", "headline", 112), "a" * 64, teacher="v" * 64, **calibrated)
    mixed = mixed_inputs(collect_inputs(results, FIELDS))
    assert list(mixed["input"]) == ["teacher", "teacher"] and set(mixed["digest"]) == {"tttttttttttt…", "vvvvvvvvvvvv…"}
    assert "calibrated on=mvtec resources/mvtec carpet 256 {}" in mixed["shared by"].iloc[0]


def test_a_run_folder_the_plan_does_not_have_is_named_and_left_out(tmp_path):
    """A variant renamed or removed from the config leaves its run folders behind: the report goes on."""
    plan, results = build_tree(tmp_path)
    shutil.copytree(results / "mvtec/carpet/headline/seed111", results / "mvtec/carpet/old_variant/seed111")
    page = build_report(plan, tmp_path / "report" / "index.html")
    summary = (page.parent / "summary.md").read_text()
    assert (
        "**Not in the plan** (left out of every table): mvtec/carpet/old_variant/seed111. Delete these run "
        "folders or put their variants back in the config."
    ) in summary
    assert 'id="unplanned"' in page.read_text() and "old_variant" not in (page.parent / "tables" / "T1.csv").read_text()
