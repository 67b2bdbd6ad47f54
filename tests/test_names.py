"""Names pasted into paths (dataset roles, categories, variants) cannot leave their folder:
the config schema and RunConfig refuse them, and derived paths are resolved under their root."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from data_fixtures import DIGITS_RUN, mvtec_tree

from rd4ad.cli import main
from rd4ad.contract.checks import MAX_SEED
from rd4ad.contract.run import RunConfig
from rd4ad.data import load_split
from rd4ad.data.cache import cached_split
from rd4ad.files.errors import RD4ADError
from rd4ad.files.names import check_name
from rd4ad.files.paths import under
from rd4ad.models.choices import IMAGE_STRIDE
from rd4ad.planning.planner import load_schema, load_yaml, plan_config_file, resolve_config

REPO = Path(__file__).resolve().parents[1]
RUN = {**DIGITS_RUN, "epochs": 1}
HOSTILE = ["../../escapee", "..", ".", "a/b", "/abs", ".hidden", "", "x" * 65, "$x$", "a b", "nut\\"]
PLAIN = ["carpet", "metal_nut", "0", "r1", "headline", "pre+oce", "a.b-c"]


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.fixture(scope="module")
def demo():
    return load_yaml(REPO / "config" / "demo.yaml")


@pytest.mark.parametrize("name", HOSTILE + PLAIN)
def test_schema_and_run_config_accept_the_same_names(demo, name):
    config = copy.deepcopy(demo)
    config["datasets"]["mvtec"]["categories"] = [name]
    config["variants"] = {name: config["variants"]["headline"]}
    try:
        resolve_config(config)
        schema_ok = True
    except RD4ADError:
        schema_ok = False
    try:
        RunConfig(**{**RUN, "category": name, "variant": name})
        run_ok = True
    except RD4ADError:
        run_ok = False
    assert schema_ok == run_ok == (name in PLAIN)


def test_config_error_names_the_file_and_key(demo, tmp_path):
    config = copy.deepcopy(demo)
    config["datasets"]["mvtec"]["categories"] = ["brick", "../../escapee"]
    with pytest.raises(RD4ADError) as err:
        resolve_config(config, "config/mine.yaml")
    assert str(err.value).startswith(
        "config/mine.yaml: config key datasets.mvtec.categories[1]: "
        "'../../escapee' is not valid: letters, digits and . _ + - only"
    )
    config = copy.deepcopy(demo)
    config["variants"]["../v"] = config["variants"].pop("headline")
    with pytest.raises(RD4ADError, match=r"config key variants: '\.\./v' is not valid"):
        resolve_config(config)


def test_a_hostile_category_in_a_run_writes_nothing_anywhere(tmp_path, monkeypatch, capsys):
    """What the workflow would run for a category ``../../escapee`` had the schema not refused it."""
    planned = next(iter(plan_config_file(REPO / "config" / "demo.yaml").runs.values())).run
    monkeypatch.chdir(tmp_path)
    run_json = json.dumps({**planned.to_dict(), "category": "../../escapee"})
    assert main(["train", "--results", "results", "--device", "cpu", "--run-json", run_json]) == 2
    assert "run config key 'category' '../../escapee' is not a valid name" in capsys.readouterr().err
    assert _tree(tmp_path) == set()


@pytest.mark.parametrize("key, value", [("category", "../synth/nut"), ("variant", "../../v")])
def test_train_refuses_names_that_leave_the_data_root(tmp_path, capsys, key, value):
    data = mvtec_tree(tmp_path / "data" / "mvtec", categories=("bottle",))
    mvtec_tree(tmp_path / "data" / "synth", categories=("nut",))
    before = _tree(tmp_path)
    run = {
        **RunConfig(**RUN).to_dict(),
        "dataset": "mvtec",
        "loader": "mvtec",
        "data_root": str(data),
        "category": "bottle",
        key: value,
    }
    argv = [
        "train",
        "--results",
        str(tmp_path / "results"),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--device",
        "cpu",
        "--run-json",
        json.dumps(run),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{value!r} is not a valid name" in err
    assert _tree(tmp_path) == before


def test_loading_and_caching_stay_under_their_roots(tmp_path):
    data = mvtec_tree(tmp_path / "data" / "mvtec", categories=("bottle",))
    mvtec_tree(tmp_path / "data" / "synth", categories=("nut",))
    with pytest.raises(RD4ADError, match="'../synth/nut' is not a valid name"):
        load_split("mvtec", data, "../synth/nut", "train", 8)
    request = {"dataset": "mvtec", "split": "train", "category": "../../../escapee", "image_size": 8}
    with pytest.raises(RD4ADError, match="leaves its folder"):
        cached_split(tmp_path / "cache", request, [], lambda: load_split("mvtec", data, "bottle", "train", 8))
    assert not (tmp_path / "escapee").exists() and not (tmp_path / "cache").exists()


def test_under_resolves_lexically():
    assert under("results", "mvtec", "bottle") == Path("results/mvtec/bottle")
    assert under("/data/mvtec", "a..b") == Path("/data/mvtec/a..b")
    for parts in [("..",), ("a", "..", ".."), ("/etc",), ("a/../../x",)]:
        with pytest.raises(RD4ADError, match="leaves its folder"):
            under("results", *parts)
    assert check_name("category", "bottle") == "bottle"


def test_schema_bounds_are_the_code_s():
    """The schema states two limits of the code; they must agree (names come from the schema itself)."""
    schema = load_schema()
    size = schema["$defs"]["variant"]["properties"]["image_size"]
    assert (size["minimum"], size["multipleOf"]) == (IMAGE_STRIDE, IMAGE_STRIDE)
    assert schema["$defs"]["seed"]["maximum"] == MAX_SEED
    for image_size, ok in ((32, True), (256, True), (7, False), (48, False)):
        try:
            RunConfig(**{**RUN, "image_size": image_size, "seed": MAX_SEED})
            accepted = True
        except RD4ADError:
            accepted = False
        assert accepted == ok
