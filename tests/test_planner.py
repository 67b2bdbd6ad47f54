"""Planning (rd4ad/planning/planner.py) and the plan file (rd4ad/planning/plan.py): runs per table, dedup, the
runs' knobs."""

import copy
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from rd4ad.data import loco, mvtec_ad2, visa
from rd4ad.files.errors import RD4ADError
from rd4ad.planning.plan import AuditPair, Plan
from rd4ad.planning.planner import (
    complexity_jobs,
    load_tables,
    load_yaml,
    make_plan,
    require_extras,
    resolve_config,
    table_runs,
)

REPO = Path(__file__).resolve().parents[1]
TABLES = load_tables(REPO / "config" / "tables.yaml")


def _raw(name: str) -> dict:
    return {**load_yaml(REPO / "config" / name), "tables": str(REPO / "config" / "tables.yaml")}


@pytest.fixture(scope="module")
def paper():
    return make_plan(_raw("config.yaml"))


@pytest.fixture(scope="module")
def demo():
    return make_plan(_raw("demo.yaml"))


def test_paper_runs_per_table(paper):
    per_table = {k: len(v) for k, v in table_runs(paper.config, TABLES).items()}
    assert per_table == {
        "T1": 3 * 15 * 3,
        "T2": 3 * 15 * 3,
        "T3": 15 * 3,
        "T4": (10 + 10 + 10 + 5) * 3,
        "T5": 3 * 15 * 3,
        "T6": 3 * 15 * 3,
        "T7": 15 * 3,
        "S2": 30 * 3,
        "audit:loss": 2 * 15,
        "audit:decoder_blocks": 2 * 15,
        "audit:precision": 2 * 15,
        "audit:mff_fuse": 2 * 15,
        "audit:implementation": 2 * 15,
        "beyond:visa": 12 * 3,
        "beyond:loco": 5 * 3,
        "beyond:mvtec_ad2": 8 * 3,
    }


def test_shared_runs_are_trained_once(paper):
    runs = [p.run for p in paper.runs.values()]
    assert len(runs) == len({r.key for r in runs}) == 90 + 90 + 90 + 105 + 60 + 45 + 75
    variants = Counter(r.variant for r in runs)
    assert variants["headline"] == 45 + 75 and variants["loss_eq2"] == 15 and variants["novelty_r18"] == 105
    assert {r.seed for r in runs if r.variant == "decoder_supplement"} == {111}
    assert paper.runs["mvtec/bottle/headline/seed111"].tables == (
        "T1",
        "T2",
        "T3",
        "T5",
        "T6",
        "T7",
        "audit:loss",
        "audit:decoder_blocks",
        "audit:precision",
        "audit:mff_fuse",
        "audit:implementation",
    )
    assert paper.runs["mvtec/bottle/headline/seed112"].tables == ("T1", "T2", "T3", "T5", "T6", "T7")
    assert str(paper.folder("mvtec/bottle/headline/seed112").model) == "results/mvtec/bottle/headline/seed112/model.pt"


def test_demo_runs_respect_variant_categories(demo):
    keys = [p.run.key for p in demo.runs.values()]
    assert len(keys) == 24 + 4  # + one headline run per replica
    assert {k.category for k in keys if k.variant == "ocbe_width64"} == {"nut"}  # the demo's plugged-in model
    assert {k.category for k in keys if k.variant == "border_kornia"} == {"nut"}  # a YAML merge of backbone_r18
    assert {k.category for k in keys if k.variant == "headline" and k.dataset == "mvtec"} == {
        "ceramic",
        "nut",
        "caplet",
    }
    assert {k.category for k in keys if k.variant == "backbone_r50"} == {"nut"}
    assert {k.category for k in keys if k.dataset == "caltech256"} == {"6"}


def test_config_audit_pairs_replace_the_declared_variants(paper, demo):
    assert paper.audit["precision"] == AuditPair("precision", TABLES["audit"]["precision"]["title"], "headline", "bf16")
    assert (demo.audit["precision"].reference, demo.audit["precision"].alternative) == ("bf16", "fp32")
    assert demo.audit["loss"].reference == "headline"
    precision_runs = sorted(k for k, p in demo.runs.items() if "audit:precision" in p.tables)
    assert precision_runs == ["mvtec/nut/bf16/seed0", "mvtec/nut/fp32/seed0"]
    assert (demo.run(precision_runs[0]).precision, demo.run(precision_runs[1]).precision) == ("bf16", "fp32")
    assert demo.run("mvtec/ceramic/headline/seed0").precision == "fp32"
    assert (
        paper.run("mvtec/bottle/headline/seed111").precision,
        paper.run("mvtec/bottle/bf16/seed111").precision,
    ) == ("tf32", "bf16")


def test_audit_pair_that_does_not_differ_in_its_knob_is_a_clear_error():
    raw = _raw("demo.yaml")
    raw["audit"] = {**raw["audit"], "pairs": {"precision": {"reference": "fp32", "alternative": "backbone_r18"}}}
    with pytest.raises(
        RD4ADError, match="audit pair 'precision': variants 'fp32' and 'backbone_r18' both have precision: fp32"
    ):
        make_plan(raw)
    raw["audit"]["pairs"] = {"precison": {"reference": "bf16"}}
    with pytest.raises(RD4ADError, match=r"audit.pairs: unknown pairs \['precison'\]"):
        make_plan(raw)


def test_beyond_runs_are_planned_per_dataset_category_and_seed(paper, demo):
    assert demo.runs["loco/pushpins/headline/seed0"].tables == ("beyond:loco",)
    assert sorted(k for k, p in demo.runs.items() if p.tables[0].startswith("beyond:")) == [
        "loco/pushpins/headline/seed0",
        "mvtec_ad2/fabric/headline/seed0",
        "own/parts/headline/seed0",
        "visa/capsules/headline/seed0",
    ]
    assert demo.run("own/parts/headline/seed0").loader == "folder"
    assert (paper.beyond.variant, paper.beyond.datasets, paper.beyond.seeds) == (
        "headline",
        ("visa", "loco", "mvtec_ad2"),
        (111, 112, 113),
    )
    assert paper.runs["visa/pcb4/headline/seed113"].tables == ("beyond:visa",)
    raw = _raw("demo.yaml")
    raw["beyond"] = {**raw["beyond"], "seeds": [5, 6]}
    assert {k.seed for k in table_runs(make_plan(raw).config, TABLES)["beyond:visa"]} == {5, 6}


def test_the_paper_config_trains_every_category_of_each_beyond_dataset(paper):
    for name, module in (("visa", visa), ("loco", loco), ("mvtec_ad2", mvtec_ad2)):
        assert tuple(paper.categories(name)) == module.CATEGORIES and paper.datasets[name]["loader"] == name


def test_a_replica_is_of_a_format_the_replica_writer_knows():
    raw = _raw("demo.yaml")
    raw["datasets"]["visa"]["loader"] = "mvtec"
    with pytest.raises(RD4ADError, match=r"config key datasets.visa.loader: 'mvtec' is not one of \['visa', 'folder'"):
        resolve_config(raw)


def test_without_beyond_no_beyond_runs_are_planned():
    raw = _raw("demo.yaml")
    del raw["beyond"]
    plan = make_plan(raw)
    assert plan.beyond.datasets == () and not [k for k in plan.runs if k.split("/")[0] in ("visa", "loco", "own")]


@pytest.mark.parametrize(
    "beyond, message",
    [
        (
            {"datasets": ["visa", "viza"]},
            "run config beyond \\(viza\\) names dataset 'viza', which the run config's "
            "`datasets:` lacks; add it or remove the reference \\(known: caltech256, .*visa\\)",
        ),
        ({"variant": "headlin", "datasets": ["visa"]}, "run config beyond \\(visa\\) names variant 'headlin'"),
    ],
)
def test_beyond_names_an_unknown_dataset_or_variant_in_one_clear_error(beyond, message):
    raw = _raw("demo.yaml")
    raw["beyond"] = beyond
    with pytest.raises(RD4ADError, match=message):
        make_plan(raw)


def test_complexity_measures_the_first_category_and_seed(paper):
    assert complexity_jobs(paper.config, TABLES) == [("mvtec", "headline")]
    measurement = paper.measurement("mvtec", "headline")
    assert (measurement.run.category, measurement.run.seed) == ("carpet", 111)
    assert (measurement.repeats, measurement.warmup) == (20, 3)  # the schema's defaults
    assert str(paper.complexity_file(measurement)) == "results/mvtec/complexity/headline.json"


def test_run_config_holds_every_knob_of_the_config(paper, demo):
    run = paper.run("mvtec/screw/headline/seed111")
    assert (run.loader, run.data_root, run.bottleneck, run.teacher_weights) == (
        "mvtec",
        "resources/mvtec",
        "pre+oce+mff",
        "imagenet_v1",
    )
    assert (run.image_size, run.epochs, run.lr, run.eval_every, run.fast, run.demo) == (
        256,
        200,
        0.005,
        10,
        True,
        False,
    )
    novelty = demo.run("caltech256/6/novelty_r18/seed0")
    assert (novelty.loader, novelty.data_root, novelty.score, novelty.eval_every, novelty.demo) == (
        "digits",
        "",
        "sum",
        0,
        True,
    )


def test_plan_file_round_trip(demo, tmp_path):
    path = Plan(tmp_path / "plan.json", demo.config, demo.declared, demo.runs, demo.complexity).write()
    back = Plan.read(path)
    assert back.runs == demo.runs and back.complexity == demo.complexity and back.config == demo.config
    entry = json.loads(path.read_text())["runs"]["mvtec/nut/headline/seed0"]
    assert entry["files"]["metrics"] == "mvtec/nut/headline/seed0/metrics.json"
    assert "audit_epochs" in entry["files"]  # eval_every: 1 in the demo
    assert back.results == tmp_path and back.digest == demo.digest


def test_unknown_run_and_broken_plan_are_clear_errors(demo, tmp_path):
    with pytest.raises(RD4ADError, match="no planned run 'mvtec/nut/nope/seed0'"):
        demo.run("mvtec/nut/nope/seed0")
    bad = tmp_path / "plan.json"
    bad.write_text('{"format": 1, "config": {}}')
    with pytest.raises(RD4ADError, match="not a complete plan"):
        Plan.read(bad)
    with pytest.raises(RD4ADError, match="no plan; write it again"):
        Plan.read(tmp_path / "none.json")


@pytest.mark.parametrize(
    "tamper, message",
    [
        (
            lambda runs, key: runs.update({"../../etc/x": runs.pop(key)}),
            "run entry '../../etc/x' is not the one planned for run mvtec/nut/headline/seed0",
        ),
        (
            lambda runs, key: runs[key]["files"].update(metrics="../../../elsewhere/metrics.json"),
            "run entry 'mvtec/nut/headline/seed0' is not the one planned for run mvtec/nut/headline/seed0",
        ),
        (lambda runs, key: runs[key]["run"].update(dataset=".."), "run config key 'dataset' '..' is not a valid name"),
    ],
    ids=["key", "files", "run"],
)
def test_a_tampered_plan_entry_is_refused(demo, tmp_path, tamper, message):
    path = tmp_path / "plan.json"
    data = json.loads(demo.to_json())
    tamper(data["runs"], "mvtec/nut/headline/seed0")
    path.write_text(json.dumps(data))
    with pytest.raises(RD4ADError) as err:
        Plan.read(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value), str(err.value)


def test_unknown_variant_in_tables_is_a_clear_error(paper):
    tables = {
        "T1": {
            "name": "Table 1",
            "title": "Table 1",
            "layout": "categories",
            "datasets": ["mvtec"],
            "metrics": ["image_auroc"],
            "settings": {"x": {"variant": "nope"}},
        }
    }
    with pytest.raises(RD4ADError, match="tables.yaml T1 names variant 'nope'"):
        table_runs(paper.config, tables)


def test_schema_rejects_bad_config_and_fills_defaults(paper):
    assert paper.config["variants"]["size_128"]["bottleneck"] == "pre+oce+mff"
    assert paper.datasets["mnist"]["source"] == "fetch" and paper.config["complexity"]["warmup"] == 3
    bad = _raw("demo.yaml")
    bad["variants"]["headline"]["loss"] = "l2"
    with pytest.raises(RD4ADError, match=r"config key variants.headline.loss: 'l2' is not one of"):
        resolve_config(bad)


def test_caltech_protocol_reaches_the_run(paper):
    assert paper.run("caltech256/r2/novelty_r18/seed111").protocol == {"n_inlier_categories": 1, "outlier_ratio": 0.5}
    assert paper.run("mnist/3/novelty_r18/seed111").protocol == {}


def test_protocol_keys_are_for_caltech_only(paper):
    bad = copy.deepcopy(paper.config)
    bad["datasets"]["mnist"]["protocol"] = {"outlier_ratio": 0.5}
    with pytest.raises(
        RD4ADError,
        match=r"config key datasets\.mnist\.protocol: \{'outlier_ratio': 0\.5\} is "
        "expected to be empty",
    ):
        resolve_config(bad)


@pytest.mark.parametrize("name", ["config.yaml", "demo.yaml", "ci.yaml"])
def test_without_jsonschema_the_defaults_are_those_the_validator_fills(name, monkeypatch, capsys):
    raw = _raw(name)
    validated = resolve_config(raw)
    monkeypatch.setitem(sys.modules, "jsonschema", None)  # as if not installed: importing it raises
    assert resolve_config(raw, name) == validated
    assert (
        capsys.readouterr().err.strip()
        == f"note: {name}: jsonschema is not installed; its defaults filled, not validated"
    )


def test_a_plan_with_anomalib_runs_is_made_without_anomalib_and_refused_only_to_run(monkeypatch):
    monkeypatch.setattr("rd4ad.anomalib_rd.availability.importlib.util.find_spec", lambda name: None)
    plan = make_plan(_raw("config.yaml"))  # planning and pricing never need it
    assert any(p.run.implementation == "anomalib" for p in plan.runs.values())
    with pytest.raises(RD4ADError, match="anomalib is not installed"):
        require_extras(plan, "config.yaml")
