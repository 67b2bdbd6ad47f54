"""Your own model code (the ``model`` knob, rd4ad/contract/factory.py): planned with its source digest,
refused in one line when it cannot be imported, trained and evaluated like any variant; the
example examples/ocbe_width64.py builds anomalib's OCBE width."""

from __future__ import annotations

import sys
import textwrap

import pytest
import torch
from data_fixtures import DIGITS_RUN

from rd4ad.builders.model import build_model
from rd4ad.contract.factory import factory_digest
from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.files.errors import RD4ADError
from rd4ad.files.io import load_checkpoint
from rd4ad.implementations.evaluate import evaluate_run
from rd4ad.planning.planner import load_yaml, make_plan
from rd4ad.training.loop import train_run

CPU = torch.device("cpu")
EXAMPLE = "examples.ocbe_width64:build"
RUN = {**DIGITS_RUN, "variant": "mine", "epochs": 1}
FACTORY = """
from torch import nn

from rd4ad.builders.model import build_suite_model


def build(run):
    model = build_suite_model(run)
    model.decoder.marker = nn.Parameter(model.decoder.layer1[0].conv1.weight.new_zeros({size}))
    return model


def broken(run):
    return nn.Linear(2, 2)
"""


@pytest.fixture
def factory(tmp_path, monkeypatch):
    """A factory module ``myrd`` on sys.path; ``factory(size)`` rewrites its source."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "myrd", raising=False)  # another test's module of that name

    def write(size: int = 3):
        (tmp_path / "myrd.py").write_text(textwrap.dedent(FACTORY.format(size=size)), encoding="utf-8")

    write()
    return write


def demo_plan(variants: dict):
    """config/demo.yaml with ``variants`` added, each compared against backbone_r18 (so that it is planned)."""
    raw = load_yaml("config/demo.yaml")
    compared = [{"reference": "backbone_r18", "candidate": name} for name in variants]
    return make_plan(
        {**raw, "variants": {**raw["variants"], **variants}, "comparisons": raw.get("comparisons", []) + compared},
        "config/demo.yaml",
    )


def test_the_planner_records_the_factory_digest_and_an_edit_changes_only_its_runs(factory):
    mine = {"mine": {**load_yaml("config/demo.yaml")["variants"]["backbone_r18"], "model": "myrd:build"}}
    before = demo_plan(mine)
    factory(size=4)
    after = demo_plan(mine)
    changed = sorted(k for k in before.runs if before.runs[k].run != after.runs[k].run)
    assert changed == ["mvtec/nut/mine/seed0"]
    assert len(after.run("mvtec/nut/mine/seed0").model_source) == 16
    assert before.run("mvtec/nut/backbone_r18/seed0").model_source == ""


@pytest.mark.parametrize(
    "model, message",
    [
        (
            "nowhere.at_all:build",
            r"^model 'nowhere.at_all:build': cannot import nowhere.at_all \(no module nowhere on the Python "
            r"path\); run from the folder that holds it, or install it$",
        ),
        (
            "examples.ocbe_width64:missing",
            r"^model 'examples.ocbe_width64:missing': examples.ocbe_width64 \(.*ocbe_width64.py\) "
            r"has no function 'missing'$",
        ),
        ("build", r"^run config key 'model' = 'build'; give rd4ad"),
        ("myrd:build", r"^model 'myrd:build': cannot import myrd: .*myrd.py line 2: '\(' was never closed$"),
    ],
)
def test_the_planner_refuses_a_factory_it_cannot_import_in_one_line(model, message, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "myrd", raising=False)
    (tmp_path / "myrd.py").write_text("def build(run):\n    return (\n", encoding="utf-8")
    with pytest.raises(RD4ADError, match=message) as err:
        demo_plan({"mine": {**load_yaml("config/demo.yaml")["variants"]["backbone_r18"], "model": model}})
    assert "\n" not in str(err.value)


def test_planning_runs_no_code_of_the_factorys_package(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    marker = tmp_path / "ran"
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (tmp_path / "mypkg" / "rd.py").write_text(
        "from rd4ad.builders.model import build_suite_model\n\ndef build(run):\n    return build_suite_model(run)\n"
    )
    variant = load_yaml("config/demo.yaml")["variants"]["backbone_r18"]
    plan = demo_plan({"mine": {**variant, "model": "mypkg.rd:build"}})
    assert len(plan.run("mvtec/nut/mine/seed0").model_source) == 16
    assert not marker.exists() and "mypkg" not in sys.modules, "planning imported the package"
    with pytest.raises(RD4ADError, match=r"^model 'mypkg.nope:build': cannot import mypkg.nope \(no module nope in "):
        demo_plan({"mine": {**variant, "model": "mypkg.nope:build"}})
    assert not marker.exists()


@pytest.mark.parametrize(
    "model, kind",
    [("os:getcwd", "a frozen module of Python, not a factory"), ("json:dumps", "Python's standard library")],
)
def test_a_module_of_python_itself_is_named_as_not_a_factory_file(model, kind):
    with pytest.raises(RD4ADError) as err:
        demo_plan({"mine": {**load_yaml("config/demo.yaml")["variants"]["backbone_r18"], "model": model}})
    module = model.split(":")[0]
    assert str(err.value).startswith(f"model {model!r}: {module} is {kind}")
    assert "no such module" not in str(err.value) and "cannot import" not in str(err.value)


def test_a_factory_model_trains_checkpoints_and_evaluates_like_any_variant(factory, tmp_path):
    run = RunConfig(**RUN, model="myrd:build", model_source=factory_digest("myrd:build"))
    folder = RunFolder(tmp_path / "results", run.key)
    train_run(run, folder, CPU)
    saved = load_checkpoint(folder.model)
    assert saved["student"]["decoder.marker"].shape == (3,)
    assert saved["run"]["model"] == "myrd:build"
    metrics = evaluate_run(folder, CPU)
    assert 0.0 <= metrics["levels"]["M1+2+3"]["image_auroc"] <= 1.0
    factory(size=5)  # edited after training: the run is not what was planned
    with pytest.raises(RD4ADError, match="source of model 'myrd:build' changed since this run was planned"):
        build_model(run)


def test_a_factory_without_the_interface_is_named(factory):
    run = RunConfig(**RUN, model="myrd:broken", model_source=factory_digest("myrd:broken"))
    with pytest.raises(RD4ADError, match=r"returned a Linear without RD4AD's interface \(missing student_modules"):
        build_model(run)


def test_the_example_builds_anomalibs_ocbe_width_for_wrn50():
    run = RunConfig(
        **{**RUN, "backbone": "wide_resnet50_2", "dataset": "mvtec", "loader": "mvtec", "image_size": 64},
        model=EXAMPLE,
        model_source=factory_digest(EXAMPLE),
    )
    model = build_model(run)
    assert model.bottleneck.oce[0].conv2.out_channels == 512  # 1024 at the teacher's width 128
    assert sum(p.numel() for p in model.bottleneck.parameters()) == 30_829_568  # 58,885,120 at width 128
    teacher, student = model(torch.zeros(1, 3, 64, 64))
    assert [s.shape for s in student] == [t.shape for t in teacher]
