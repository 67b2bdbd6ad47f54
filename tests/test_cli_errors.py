"""No command lets a raw traceback reach the user on hostile input: each case below is one line on
stderr (exit 2) that names the file, key or flag."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from data_fixtures import DIGITS_RUN, mvtec_tree
from results_fixtures import build_tree

from rd4ad.cli import main
from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig

REPO = Path(__file__).resolve().parents[1]
RUN = RunConfig(**DIGITS_RUN, epochs=1)
KEY = str(RUN.key)


def _train(results: str = "{h}/r", **changes) -> list[str]:
    """``train`` of ``RUN`` with ``changes`` to its JSON (``nan`` is written as JSON ``NaN``)."""
    return ["train", "--results", results, "--device", "cpu", "--run-json", json.dumps({**RUN.to_dict(), **changes})]


def _evaluate(results: str, *flags: str) -> list[str]:
    return ["evaluate", "--run", KEY, "--results", results, "--device", "cpu", *flags]


def _complexity(repeats: int = 2, **changes) -> list[str]:
    measurement = {"run": {**RUN.to_dict(), **changes}, "repeats": repeats, "warmup": 0}
    return ["complexity", "--results", "{h}/r", "--device", "cpu", "--measurement-json", json.dumps(measurement)]


def _report(tree: str) -> list[str]:
    return ["report", "--plan", f"{{h}}/{tree}/results/plan.json", "--out", "{h}/r/index.html"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """Files a user (or a crash) might hand to the commands."""
    root = tmp_path_factory.mktemp("hostile")
    models = {name: RunFolder(root / f"models_{name}", RUN.key).model for name in ("empty", "text", "list")}
    for model in models.values():
        model.parent.mkdir(parents=True)
    models["empty"].write_bytes(b"")
    models["text"].write_text("model weights\n")
    torch.save([1, 2, 3], models["list"])
    RunFolder(root / "occupied", RUN.key).model.mkdir(parents=True)
    (root / "a_file").write_text("x")
    mvtec_tree(root / "my_mvtec", categories=("bottle",))
    (root / "my_mvtec" / "NOTES.txt").write_text("mine")
    for name, damage in (("nan", "NaN"), ("list", None), ("examples", None)):
        _, results = build_tree(root / f"report_{name}")
        run = results / "mvtec/carpet/headline/seed111"
        if name == "nan":
            metrics = run / "metrics.json"
            metrics.write_text(metrics.read_text().replace('"pro": 0.93', f'"pro": {damage}', 1))
        elif name == "list":
            (run / "metrics.json").write_text("[0.9, 0.8]")
        else:
            (run / "examples.npz").write_bytes(b"not an npz")
    demo = yaml.safe_load((REPO / "config" / "demo.yaml").read_text())
    demo["datasets"]["mvtec"]["categories"] = ["$x$"]
    (root / "schema.yaml").write_text(yaml.safe_dump(demo))
    (root / "broken.yaml").write_text("mode: [demo\n")
    (root / "baseline.json").write_text('{"format": 1, "values": ')
    return root


CASES = {
    "train lr NaN": (_train(lr=float("nan")), "run config key 'lr' must be a finite number"),
    "train eval_every -1": (_train(eval_every=-1), "key 'eval_every' must be >= 0"),
    "train --device banana": ([*_train(), "--device", "banana"], "argument --device: 'banana' is not a device"),
    "train 20-digit seed": (_train(seed=12345678901234567890), "key 'seed' must be in [0, 4294967295]"),
    "train image_size 7": (_train(image_size=7), "key 'image_size' must be >= 32"),
    "train image_size 48": (_train(image_size=48), "key 'image_size' must be a multiple of 32"),
    "train category ../../escapee": (_train(category="../../escapee"), "'../../escapee' is not a valid name"),
    "train onto a folder named model.pt": (_train("{h}/occupied"), "{h}/occupied/{k}/model.pt: is a folder"),
    "evaluate --batch-size 0": (
        _evaluate("{h}/models_list", "--batch-size", "0"),
        "argument --batch-size: '0': give an integer >= 1",
    ),
    "evaluate 0-byte model.pt": (
        _evaluate("{h}/models_empty"),
        "{h}/models_empty/{k}/model.pt: unreadable (empty file); delete it and train the run again",
    ),
    "evaluate text model.pt": (
        _evaluate("{h}/models_text"),
        "{h}/models_text/{k}/model.pt: unreadable (not a torch checkpoint",
    ),
    "evaluate list model.pt": (
        _evaluate("{h}/models_list"),
        "{h}/models_list/{k}/model.pt: not a model.pt written by `python -m rd4ad train`",
    ),
    "synth --overwrite a user's folder": (
        ["synth", "--out", "{h}/my_mvtec", "--overwrite"],
        "{h}/my_mvtec: not a synthetic set written by `python -m rd4ad synth`",
    ),
    "synth --out a file": (["synth", "--out", "{h}/a_file"], "{h}/a_file: is a file"),
    "synth --seed -1": (["synth", "--out", "{h}/s", "--seed", "-1"], "argument --seed: '-1': give an integer >= 0"),
    "fetch --local missing": (["fetch", "mvtec", "--local", "{h}/nowhere"], "{h}/nowhere: MVTec folder not found"),
    "report NaN metric": (_report("report_nan"), "levels.M1+2+3.pro = nan is not a number in [0, 1]"),
    "report list metrics.json": (_report("report_list"), "metrics.json: holds a JSON list, not an object"),
    "report corrupt examples.npz": (
        _report("report_examples"),
        "examples.npz: unreadable (not an .npz archive of arrays: ValueError",
    ),
    "plan category $x$": (
        ["plan", "--config", "{h}/schema.yaml"],
        "{h}/schema.yaml: config key datasets.mvtec.categories[0]: '$x$' is not valid",
    ),
    "plan broken YAML": (["plan", "--config", "{h}/broken.yaml"], "{h}/broken.yaml: not valid YAML"),
    "compare --seed -1": (
        ["compare", "--results", "{h}", "--reference", "a", "--candidate", "b", "--seed", "-1"],
        "argument --seed: '-1': give an integer >= 0",
    ),
    "drift corrupt baseline": (
        ["drift", "--baseline", "{h}/baseline.json", "--results", "{h}"],
        "{h}/baseline.json: not valid JSON",
    ),
    "drift --tol nan": (
        ["drift", "--baseline", "{h}/baseline.json", "--results", "{h}", "--tol", "nan"],
        "argument --tol: 'nan': give a finite number >= 0",
    ),
    "complexity repeats 0": (_complexity(repeats=0), "Table 3 measurement: 'repeats' must be >= 1"),
    "complexity image_size 48": (_complexity(image_size=48), "key 'image_size' must be a multiple of 32"),
}


def _fill(text: str, hostile: Path) -> str:
    return text.replace("{h}", str(hostile)).replace("{k}", KEY)


def _run(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exit_info:  # argparse
        code = exit_info.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_input_is_one_line(hostile, capsys, case):
    argv, expected = CASES[case]
    code, err = _run([_fill(a, hostile) for a in argv], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    command = argv[0]
    assert err.startswith((f"rd4ad {command}: error: ", f"python -m rd4ad {command}: error: ")), err
    assert _fill(expected, hostile) in err
    assert not (hostile / "r").exists() and not (hostile / "s").exists(), "nothing written"
    assert not any(p.is_file() for p in (hostile / "occupied").rglob("*")), "nothing written beside the folder"


def test_the_process_exits_2_with_one_line(hostile):
    for case in ("train lr NaN", "evaluate --batch-size 0"):
        argv, expected = CASES[case]
        done = subprocess.run(
            [sys.executable, "-m", "rd4ad", *[_fill(a, hostile) for a in argv]],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and expected in done.stderr, done.stderr
    assert json.loads(json.dumps(sorted(p.name for p in hostile.iterdir())))[0] == "a_file"
