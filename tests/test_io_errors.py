"""I/O failures are one clear line, found before the expensive work where possible: a folder where
model.pt, metrics.json, the complexity JSON or the report goes, a file where a folder is expected,
read-only folders, a full disk while checkpointing; an unwritable cache only disables caching."""

from __future__ import annotations

import ctypes
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from data_fixtures import DIGITS_RUN

from rd4ad import data, models
from rd4ad.cli import main
from rd4ad.contract.layout import RunFolder, complexity_file, plan_file
from rd4ad.contract.run import RunConfig
from rd4ad.data.synth import SynthConfig, generate
from rd4ad.evaluation import evaluate as evaluation
from rd4ad.planning.plan import Plan

PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2
RUN = RunConfig(**DIGITS_RUN, epochs=2)


def _train(results: Path, *flags: str, **changes) -> list[str]:
    """``train`` of ``RUN`` (with ``changes``) into the results folder ``results``."""
    return [
        "train",
        "--results",
        str(results),
        "--device",
        "cpu",
        "--run-json",
        json.dumps({**RUN.to_dict(), **changes}),
        *flags,
    ]


def _tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def _rd4ad(args: list[str], obey_permissions: bool = False, file_limit: int | None = None):
    """``python -m rd4ad ARGS`` in a child that obeys file permissions even as root (its capability
    to override them is dropped), or with a file-size limit (a write past it fails as on a full disk)."""

    def limit():
        if obey_permissions and os.geteuid() == 0:
            libc = ctypes.CDLL(None, use_errno=True)
            for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
                if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                    raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")
        if file_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    env = {**os.environ, "MPLCONFIGDIR": tempfile.gettempdir()}
    return subprocess.run(
        [sys.executable, "-m", "rd4ad", *args],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        env=env,
        cwd=Path(__file__).parents[1],
    )


def _one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


@pytest.mark.parametrize("command", ["train", "evaluate", "complexity", "report"])
def test_a_folder_where_the_output_goes_is_refused_before_any_work(tmp_path, capsys, monkeypatch, command):
    results, folder = tmp_path / "results", RunFolder(tmp_path / "results", RUN.key)
    measurement = json.dumps({"run": RUN.to_dict(), "repeats": 2, "warmup": 0})
    page = tmp_path / "reports" / "index.html"
    args, out = {
        "train": (_train(results), folder.model),
        "evaluate": (["evaluate", "--run", str(RUN.key), "--results", str(results), "--device", "cpu"], folder.metrics),
        "complexity": (
            ["complexity", "--measurement-json", measurement, "--results", str(results), "--device", "cpu"],
            complexity_file(results, RUN.dataset, RUN.variant),
        ),
        "report": (["report", "--plan", str(plan_file(results)), "--out", str(page)], page),
    }[command]
    (out / "inside").mkdir(parents=True)
    before = _tree(tmp_path)
    work = []  # checked before loading data, a model or the plan: none of these may be called
    for owner, name in [
        (data, "load_split"),
        (models, "build_model"),
        (Plan, "read"),
        (evaluation, "read_checkpoint"),
    ]:
        monkeypatch.setattr(owner, name, lambda *a, name=name, **k: work.append(name))
    assert main(args) == 2
    assert _one_line(capsys.readouterr().err) == (
        f"rd4ad {command}: error: {out}: is a folder where this file is to be written; move the folder away "
        "or write elsewhere"
    )
    assert work == []
    assert _tree(tmp_path) == before


def test_a_file_where_a_folder_is_expected(tmp_path, capsys):
    (tmp_path / "results").write_text("not a folder")
    assert main(_train(tmp_path / "results")) == 2
    assert _one_line(capsys.readouterr().err).endswith(
        ": Not a directory; a file stands where a folder is expected: move that file away or choose another path"
    )
    assert (tmp_path / "results").read_text() == "not a folder"


@pytest.mark.parametrize("command", ["train", "synth", "report", "fetch"])
def test_read_only_folder_is_one_line(tmp_path, command):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    target = locked / "sub" / "out"
    args = {
        "train": _train(target),
        "synth": ["synth", "--out", str(target), "--image-size", "32", "--n-train", "1"],
        "report": ["report", "--plan", str(plan_file(tmp_path)), "--out", f"{target}.html"],
        "fetch": ["fetch", "mvtec", "--root", str(target), "--mirror", "http://127.0.0.1:9"],
    }[command]
    done = _rd4ad(args, obey_permissions=True)
    assert done.returncode == 2
    line = _one_line(done.stderr)
    assert line.startswith(f"rd4ad {command}: error: ") and "Permission denied; check its permissions" in line
    assert str(locked) in line and list(locked.iterdir()) == []


def test_read_only_cache_only_disables_caching(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o555)
    out = RunFolder(tmp_path / "results", RUN.key).model
    done = _rd4ad(_train(tmp_path / "results", "--cache-dir", str(cache), epochs=1), obey_permissions=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(f"warning: decoded images not cached (cannot write {cache}/")
    assert "continuing without the cache" in done.stderr and out.is_file() and list(cache.iterdir()) == []


def test_full_disk_while_checkpointing_is_one_line_and_leaves_no_temporary(tmp_path):
    out = RunFolder(tmp_path / "results", RUN.key).model
    done = _rd4ad(_train(tmp_path / "results"), file_limit=1 << 20)
    assert done.returncode == 2
    line = _one_line(done.stderr)
    assert line.startswith(
        f"rd4ad train: error: cannot write {out.parent / 'resume.pt'}: [enforce fail at inline_container.cc"
    )
    assert line.endswith(
        f"the disk is probably full (or a quota / file-size limit was hit): free space under "
        f"{out.parent} and run the command again"
    )
    assert sorted(p.name for p in out.parent.iterdir()) == ["loss.csv"], "no temporary or partial file left"


def test_synth_into_a_full_disk_keeps_the_previous_set(tmp_path):
    out = generate(
        tmp_path / "s", SynthConfig(image_size=32, n_train=1, n_test_good=1, n_test_defect=1, categories=("nut",))
    )
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    done = _rd4ad(["synth", "--out", str(out), "--overwrite", "--image-size", "256"], file_limit=20_000)
    assert done.returncode == 2 and "File too large" in _one_line(done.stderr)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]
