"""The implementation strategy (rd4ad/implementations/): every implementation provides every member,
the planner and the estimate price both, the knobs an implementation has no switch for are refused when
planning, and no reader outside rd4ad/implementations/ decides by the implementation's name."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from test_cost import COSTS, TIMING

from rd4ad.cost.estimate import plan_estimates
from rd4ad.cost.shape import RunShape
from rd4ad.files.errors import RD4ADError
from rd4ad.implementations.registry import IMPLEMENTATIONS, implementation_of
from rd4ad.implementations.strategy import Implementation
from rd4ad.models.choices import IMPLEMENTATIONS as NAMES
from rd4ad.planning.planner import load_yaml, make_plan

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "rd4ad"


def _plan(tmp_path, **variants):
    raw = load_yaml(REPO / "config" / "demo.yaml")
    raw = {
        **raw,
        "variants": {**raw["variants"], **variants},
        "tables": str(REPO / "config" / "tables.yaml"),
        "results": str(tmp_path / "results"),
    }
    return make_plan(raw)


def test_the_registry_holds_every_implementation_knob_value_by_its_name():
    assert list(IMPLEMENTATIONS) == list(NAMES)
    assert all(i.name == name for name, i in IMPLEMENTATIONS.items())


@pytest.mark.parametrize("name", NAMES)
def test_every_implementation_provides_every_member(name):
    implementation = IMPLEMENTATIONS[name]
    for f in dataclasses.fields(Implementation):
        value = getattr(implementation, f.name)
        if "Callable" in str(f.type):
            assert callable(value), f"{name}: {f.name} is not callable"
    assert implementation.takes is None or set(implementation.takes) | set(implementation.fixed) >= {"implementation"}
    extra = implementation.extra
    assert extra is None or (callable(extra.version) and extra.tested and extra.install)


def test_the_planner_and_the_estimate_price_both_implementations(tmp_path):
    plan = _plan(tmp_path)
    shapes = {RunShape.of(p.run) for p in plan.runs.values()}
    assert {s.implementation for s in shapes} == set(NAMES)
    assert {s.precision for s in shapes if s.implementation == "anomalib"} == {"fp32"}  # its Engine: fp32
    estimates = plan_estimates(plan, dict.fromkeys(shapes, TIMING), COSTS, device="cpu")
    assert set(estimates) == set(plan.runs)
    anomalib = [k for k, p in plan.runs.items() if p.run.implementation == "anomalib"]
    assert anomalib and all(estimates[k]["train_s"] > 0 for k in anomalib)


def test_a_knob_anomalib_has_no_switch_for_is_refused_when_planning(tmp_path):
    variant = load_yaml(REPO / "config" / "demo.yaml")["variants"]["anomalib_rd"]
    with pytest.raises(RD4ADError, match="variant 'anomalib_rd'.*no switch for loss.*remove loss: 'eq2'"):
        _plan(tmp_path, anomalib_rd={**variant, "loss": "eq2"})
    run = _plan(tmp_path).run("mvtec/nut/anomalib_rd/seed0")
    with pytest.raises(RD4ADError, match="trains with anomalib's fixed lr 0.005; set lr: 0.005"):
        implementation_of(dataclasses.replace(run, lr=0.001))


def test_no_reader_outside_the_implementations_compares_their_names():
    """An architectural invariant: what differs between implementations is asked of the strategy."""
    compares = re.compile(r"""\.implementation\s*(==|!=|in\b|not in\b)|(==|!=)\s*["'](anomalib|rd4ad)["']""")
    found = [
        f"{path.relative_to(REPO)}:{n}: {line.strip()}"
        for path in PACKAGE.rglob("*.py")
        if "implementations" not in path.parts
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if compares.search(line)
    ]
    assert found == []


def test_teacher_kinds_are_named_by_the_resolver_only():
    """``imagenet_v1`` / ``random`` / ``random_calibrated`` as string literals only in rd4ad/models/teachers.py."""
    literal = re.compile(r"""["'](imagenet_v1|random|random_calibrated)["']""")
    found = [
        f"{path.relative_to(REPO)}:{n}: {line.strip()}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "teachers.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line)
    ]
    assert found == []


def test_both_implementations_build_their_model_on_the_same_teacher(tmp_path):
    """``build``: this suite's RD4AD and anomalib's ReverseDistillation, the run's teacher in both."""
    pytest.importorskip("anomalib", reason="the optional extra anomalib is not installed")
    from rd4ad.anomalib_rd.model import encoder_digest
    from rd4ad.contract.fingerprints import teacher_digest

    anomalib = dataclasses.replace(_plan(tmp_path).run("mvtec/nut/anomalib_rd/seed0"), teacher_weights="random")
    suite = dataclasses.replace(anomalib, implementation="rd4ad")
    theirs, ours = (implementation_of(run).build(run) for run in (anomalib, suite))
    assert type(theirs).__name__ == "ReverseDistillation" and type(ours).__name__ == "RD4AD"
    assert teacher_digest(ours) == encoder_digest(theirs)
