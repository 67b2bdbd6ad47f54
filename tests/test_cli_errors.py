"""No command lets a raw traceback reach the user on hostile input: each case below is one line on
stderr (exit 2) that names the file, key or flag."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from data_fixtures import mvtec_tree
from results_fixtures import build_tree
from rd4ad.cli import main

REPO = Path(__file__).resolve().parents[1]
TRAIN = ["train", "--dataset", "digits", "--category", "3", "--backbone", "resnet18", "--teacher-weights", "random",
         "--image-size", "32", "--epochs", "1"]
COMPLEXITY = ["complexity", "--dataset", "digits", "--category", "3", "--backbone", "resnet18",
              "--teacher-weights", "random", "--image-size", "32"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """Files a user (or a crash) might hand to the commands."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "empty.pt").write_bytes(b"")
    (root / "text.pt").write_text("model weights\n")
    torch.save([1, 2, 3], root / "list.pt")
    (root / "folder").mkdir()
    (root / "a_file").write_text("x")
    mvtec_tree(root / "my_mvtec", categories=("bottle",))
    (root / "my_mvtec" / "NOTES.txt").write_text("mine")
    for name, damage in (("nan", "NaN"), ("list", None), ("examples", None)):
        config, results = build_tree(root / f"report_{name}")
        run = results / "mvtec/carpet/wrn50_256/seed111"
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
    "train --lr nan": ([*TRAIN, "--lr", "nan", "--out", "{h}/r/model.pt"], "run config key 'lr' must be a finite number"),
    "train --eval-every -1": ([*TRAIN, "--eval-every", "-1", "--out", "{h}/r/model.pt"], "key 'eval_every' must be >= 0"),
    "train --device banana": ([*TRAIN, "--device", "banana", "--out", "{h}/r/model.pt"],
                              "argument --device: 'banana' is not a device"),
    "train 20-digit --seed": ([*TRAIN, "--seed", "12345678901234567890", "--out", "{h}/r/model.pt"],
                              "key 'seed' must be in [0, 4294967295]"),
    "train --image-size 7": ([*TRAIN, "--image-size", "7", "--out", "{h}/r/model.pt"],
                             "key 'image_size' must be a multiple of 32"),
    "train --category ../../escapee": ([*TRAIN, "--category", "../../escapee", "--out", "{h}/r/model.pt"],
                                       "'../../escapee' is not a valid name"),
    "train --out a folder": ([*TRAIN, "--out", "{h}/folder"], "{h}/folder: is a folder"),
    "evaluate --batch-size 0": (["evaluate", "--model", "{h}/list.pt", "--out", "{h}/m.json", "--batch-size", "0"],
                                "argument --batch-size: '0': give an integer >= 1"),
    "evaluate 0-byte model.pt": (["evaluate", "--model", "{h}/empty.pt", "--out", "{h}/r/m.json"],
                                 "{h}/empty.pt: unreadable (empty file); delete it and train the run again"),
    "evaluate text model.pt": (["evaluate", "--model", "{h}/text.pt", "--out", "{h}/r/m.json"],
                               "{h}/text.pt: unreadable (not a torch checkpoint"),
    "evaluate list model.pt": (["evaluate", "--model", "{h}/list.pt", "--out", "{h}/r/m.json"],
                               "{h}/list.pt: not a model.pt written by `python -m rd4ad train`"),
    "synth --overwrite a user's folder": (["synth", "--out", "{h}/my_mvtec", "--overwrite"],
                                          "{h}/my_mvtec: not a synthetic set written by `python -m rd4ad synth`"),
    "synth --out a file": (["synth", "--out", "{h}/a_file"], "{h}/a_file: is a file"),
    "synth --seed -1": (["synth", "--out", "{h}/s", "--seed", "-1"], "argument --seed: '-1': give an integer >= 0"),
    "fetch --local missing": (["fetch", "mvtec", "--local", "{h}/nowhere"], "{h}/nowhere: MVTec folder not found"),
    "report NaN metric": (["report", "--config", "{h}/report_nan/config.yaml", "--results", "{h}/report_nan/results",
                           "--out", "{h}/r/index.html"], "levels.M1+2+3.pro = nan is not a number in [0, 1]"),
    "report list metrics.json": (["report", "--config", "{h}/report_list/config.yaml", "--results",
                                  "{h}/report_list/results", "--out", "{h}/r/index.html"],
                                 "metrics.json: holds a JSON list, not an object"),
    "report corrupt examples.npz": (["report", "--config", "{h}/report_examples/config.yaml", "--results",
                                     "{h}/report_examples/results", "--out", "{h}/r/index.html"],
                                    "examples.npz: unreadable (not an .npz archive of arrays: ValueError"),
    "plan category $x$": (["plan", "--config", "{h}/schema.yaml"],
                          "{h}/schema.yaml: config key datasets.mvtec.categories[0]: '$x$' is not valid"),
    "plan broken YAML": (["plan", "--config", "{h}/broken.yaml"], "{h}/broken.yaml: not valid YAML"),
    "drift corrupt baseline": (["drift", "--baseline", "{h}/baseline.json", "--results", "{h}"],
                               "{h}/baseline.json: not valid JSON"),
    "drift --tol nan": (["drift", "--baseline", "{h}/baseline.json", "--results", "{h}", "--tol", "nan"],
                        "argument --tol: 'nan': give a finite number >= 0"),
    "complexity --repeats 0": ([*COMPLEXITY, "--repeats", "0", "--out", "{h}/c.json"],
                               "argument --repeats: '0': give an integer >= 1"),
    "complexity --image-size 7": ([*COMPLEXITY, "--image-size", "7", "--out", "{h}/c.json"],
                                  "key 'image_size' must be a multiple of 32"),
}


def _run(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exit_info:  # argparse
        code = exit_info.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_input_is_one_line(hostile, capsys, case):
    argv, expected = CASES[case]
    code, err = _run([a.replace("{h}", str(hostile)) for a in argv], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    command = argv[0]
    assert err.startswith((f"rd4ad {command}: error: ", f"python -m rd4ad {command}: error: ")), err
    assert expected.replace("{h}", str(hostile)) in err
    assert not (hostile / "r").exists() and not (hostile / "s").exists(), "nothing written"


def test_the_process_exits_2_with_one_line(hostile):
    for case in ("train --lr nan", "evaluate --batch-size 0"):
        argv, expected = CASES[case]
        done = subprocess.run([sys.executable, "-m", "rd4ad", *[a.replace("{h}", str(hostile)) for a in argv]],
                              capture_output=True, text=True, cwd=REPO)
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and expected in done.stderr, done.stderr
    assert json.loads(json.dumps(sorted(p.name for p in hostile.iterdir())))[0] == "a_file"
