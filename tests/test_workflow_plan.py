"""Planning of the Snakemake DAG (rd4ad/workflow_plan.py): runs per table, dedup, flags."""

import copy
import shlex
from collections import Counter
from pathlib import Path

import pytest

from rd4ad.errors import RD4ADError
from rd4ad.workflow_plan import (Run, complexity_flags, complexity_jobs, one_of, option_flags, planned_runs,
                                 report_inputs, resolve_config, table_runs, train_flags, load_yaml)

REPO = Path(__file__).resolve().parents[1]
TABLES = load_yaml(REPO / "config" / "tables.yaml")


@pytest.fixture(scope="module")
def paper():
    return resolve_config(load_yaml(REPO / "config" / "config.yaml"))


@pytest.fixture(scope="module")
def demo():
    return resolve_config(load_yaml(REPO / "config" / "demo.yaml"))


def test_paper_runs_per_table(paper):
    per_table = {k: len(v) for k, v in table_runs(paper, TABLES).items()}
    assert per_table == {"T1": 2 * 15 * 3, "T2": 2 * 15 * 3, "T3": 15 * 3, "T4": (10 + 10 + 10 + 5) * 3,
                         "T5": 3 * 15 * 3, "T6": 3 * 15 * 3, "T7": 15 * 3, "S2": 30 * 3,
                         "audit:loss": 2 * 15, "audit:decoder_blocks": 2 * 15}


def test_shared_runs_are_trained_once(paper):
    runs = planned_runs(paper, TABLES)
    assert len(runs) == len(set(runs)) == 90 + 90 + 90 + 105 + 30
    variants = Counter(r.variant for r in runs)
    assert variants["wrn50_256"] == 45 and variants["wrn50_eq2"] == 15 and variants["novelty_r18"] == 105
    assert {r.seed for r in runs if r.variant == "wrn50_supdec"} == {111}
    assert Run("mvtec", "bottle", "wrn50_256", 112).folder("results") == "results/mvtec/bottle/wrn50_256/seed112"


def test_demo_runs_respect_variant_categories(demo):
    runs = planned_runs(demo, TABLES)
    assert len(runs) == 20
    assert {r.category for r in runs if r.variant == "wrn50_256"} == {"brick", "grass", "nut"}
    assert {r.category for r in runs if r.variant == "r50_256"} == {"nut"}
    assert {r.category for r in runs if r.dataset == "caltech256"} == {"6", "7"}


def test_complexity_and_report_inputs(paper):
    assert complexity_jobs(paper, TABLES) == [("mvtec", "wrn50_256")]
    inputs = report_inputs(paper, TABLES)
    assert inputs[-1] == "results/mvtec/complexity/wrn50_256.json"
    assert len(inputs) == 405 + 1 and "results/cifar10/3/novelty_r18/seed113/metrics.json" in inputs


def test_train_flags_name_every_knob(paper, demo):
    flags = shlex.split(train_flags(paper, "mvtec", "screw", "wrn50_256", 111))
    assert "--fast" in flags and "--demo" not in flags  # bare flags: the schema's fast default, paper mode
    flags.remove("--fast")
    pairs = dict(zip(flags[::2], flags[1::2]))
    assert pairs["--dataset"] == "mvtec" and pairs["--data-root"] == "resources/mvtec"
    assert pairs["--bottleneck"] == "pre+oce+mff" and pairs["--teacher-weights"] == "imagenet_v1"
    assert (pairs["--image-size"], pairs["--epochs"], pairs["--lr"], pairs["--seed"]) == ("256", "200", "0.005", "111")
    assert pairs["--eval-every"] == "10" and pairs["--cache-dir"] == "resources/cache"
    novelty = shlex.split(train_flags(demo, "caltech256", "6", "novelty_r18", 0))
    assert novelty[:4] == ["--dataset", "digits", "--data-root", ""] and "--demo" in novelty
    assert novelty[novelty.index("--score") + 1] == "sum" and novelty[novelty.index("--eval-every") + 1] == "0"


def test_complexity_flags_use_the_first_category(paper):
    flags = shlex.split(complexity_flags(paper, "mvtec", "wrn50_256"))
    assert flags[flags.index("--category") + 1] == "carpet"
    assert flags[flags.index("--repeats") + 1] == "20" and "--eval-every" not in flags


def test_option_flags_and_wildcard_regex():
    assert option_flags({"seed": 0, "image_size": 32, "overwrite": True, "x": False}) == \
        "--seed 0 --image-size 32 --overwrite"
    regex = one_of(["wrn50_256", "r18+x"])
    assert regex == r"r18\+x|wrn50_256" and one_of([]) == "(?!)"


def test_unknown_variant_in_tables_is_a_clear_error(paper):
    tables = {"T1": {"datasets": ["mvtec"], "metrics": ["image_auroc"], "settings": {"x": {"variant": "nope"}}}}
    with pytest.raises(RD4ADError, match="tables.yaml T1 names variant 'nope'"):
        planned_runs(paper, tables)


def test_schema_rejects_bad_config_and_fills_defaults(paper):
    assert paper["variants"]["wrn50_128"]["bottleneck"] == "pre+oce+mff"
    assert paper["datasets"]["mnist"]["source"] == "fetch" and paper["complexity"]["warmup"] == 3
    bad = load_yaml(REPO / "config" / "demo.yaml")
    bad["variants"]["wrn50_256"]["loss"] = "l2"
    with pytest.raises(RD4ADError, match="l2"):
        resolve_config(bad)


def test_caltech_protocol_reaches_the_run_flags(paper):
    flags = shlex.split(train_flags(paper, "caltech256", "r2", "novelty_r18", 111))
    at = flags.index("--protocol")
    assert flags[at + 1:at + 3] == ["n_inlier_categories=1", "outlier_ratio=0.5"]
    assert "--protocol" not in train_flags(paper, "mnist", "3", "novelty_r18", 111)


def test_protocol_keys_are_for_caltech_only(paper):
    bad = copy.deepcopy(paper)
    bad["datasets"]["mnist"]["protocol"] = {"outlier_ratio": 0.5}
    with pytest.raises(RD4ADError, match=r"config key datasets\.mnist\.protocol: \{'outlier_ratio': 0\.5\} is "
                                         "expected to be empty"):
        resolve_config(bad)
