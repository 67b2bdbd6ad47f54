"""The run contract (rd4ad/contract/run.py): one owner of a run's fields, defaults and allowed values."""

from __future__ import annotations

import dataclasses

import pytest
from data_fixtures import DIGITS_RUN

from rd4ad.contract.run import RunConfig, knobs
from rd4ad.data import LOADERS
from rd4ad.files.errors import RD4ADError
from rd4ad.planning.planner import SCHEMA, load_schema, load_yaml, resolve_config

RUN = {**DIGITS_RUN, "variant": "v", "epochs": 1, "score": "max"}  # the knobs the config below sets, the rest default
CONFIG = {
    "mode": "demo",
    "seeds": [0],
    "datasets": {"mnist": {"loader": "digits", "categories": ["3"]}},
    "variants": {"v": {k: RUN[k] for k in ("backbone", "image_size", "epochs", "lr", "batch_size", "teacher_weights")}},
}


def test_the_schema_file_states_no_knob():
    """The knobs live in RunConfig only: the YAML's variant entry names none of them."""
    written = load_yaml(SCHEMA)["$defs"]["variant"]
    assert set(written["properties"]) == {"description", "categories"} and "required" not in written


def test_schema_and_run_config_agree():
    variant = load_schema()["$defs"]["variant"]
    for f in knobs():
        prop = variant["properties"][f.name]
        if f.default is dataclasses.MISSING:
            assert f.name in variant["required"] and "default" not in prop, f.name
        else:
            assert prop["default"] == f.default and f.name not in variant["required"], f.name
    assert (variant["properties"]["fast"]["type"], variant["properties"]["fast"]["default"]) == ("boolean", True)
    assert variant["properties"]["loss"]["enum"] == ["flat", "eq2"]
    filled = resolve_config(CONFIG)["variants"]["v"]
    assert RunConfig(**{**RUN, **{f.name: filled[f.name] for f in knobs()}}) == RunConfig(**RUN)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("loss", "l2", "choose one of flat, eq2"),
        ("bottleneck", "mff", "choose one of pre, pre\\+oce, pre\\+oce\\+mff"),
        ("image_size", 4, "must be >= 32"),
        ("lr", 0, "must be > 0"),
        ("eval_every", -1, "must be >= 0"),
        ("adam_beta2", 1.0, "must be < 1"),
        ("map_border", "wrap", "choose one of scipy, kornia"),
    ],
)
def test_schema_and_run_config_reject_the_same_values(key, value, message):
    with pytest.raises(RD4ADError, match=message):
        RunConfig(**{**RUN, key: value})
    bad = {**CONFIG, "variants": {"v": {**CONFIG["variants"]["v"], key: value}}}
    with pytest.raises(RD4ADError, match=rf"^run config: config key variants\.v\.{key}: "):
        resolve_config(bad)


def test_loaders_of_the_schema_are_the_data_loaders():
    assert load_schema()["$defs"]["dataset"]["properties"]["loader"]["enum"] == list(LOADERS)


def test_run_description_round_trips_and_rejects_foreign_keys():
    run = RunConfig(**{**RUN, "loader": "caltech256", "protocol": {"outlier_ratio": 0.25}})
    assert RunConfig.from_dict(run.to_dict()) == run and str(run.key) == "mnist/3/v/seed7"
    with pytest.raises(RD4ADError, match=r"unknown keys \['old'\], missing keys \['fast'\]"):
        RunConfig.from_dict({**{k: v for k, v in run.to_dict().items() if k != "fast"}, "old": 1})


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"loader": "caltech256", "protocol": {"outliers": 0.5}}, "unknown keys \\['outliers'\\]"),
        ({"protocol": {"outlier_ratio": 0.5}}, "for caltech256 only"),
    ],
)
def test_bad_protocol_is_one_clear_error(changes, message):
    with pytest.raises(RD4ADError, match=message):
        RunConfig(**{**RUN, **changes})
