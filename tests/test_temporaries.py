"""Temporaries a killed process left behind are removed on the next start; a live writer's never."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from rd4ad.files import temporaries
from rd4ad.files.temporaries import STALE_AFTER_S, clean_stale, temp_prefix


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def _age(path, seconds: float) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_dead_writers_temporaries_go_live_ones_and_user_files_stay(tmp_path, capsys):
    mine = temp_prefix("model.pt")
    dead = mine.replace(f"~{os.getpid()}~", f"~{_dead_pid()}~")
    (tmp_path / f"{mine}abcd1234.tmp").write_text("being written")
    (tmp_path / f"{dead}abcd1234.tmp").write_text("left by SIGKILL")
    (tmp_path / f"{dead}zz_9.part").write_text("left by SIGKILL")
    partial = tmp_path / f"{temp_prefix('mvtec', partial=True).replace(f'~{os.getpid()}~', f'~{_dead_pid()}~')}q1"
    (partial / "bottle").mkdir(parents=True)
    other_host = tmp_path / ".loss.csv.node7~12~abcd1234.tmp"
    other_host.write_text("another machine, recent")
    legacy_old, legacy_new = tmp_path / ".metrics.json.k3j5h2g1.tmp", tmp_path / ".examples.npz.a1b2c3d4.tmp"
    legacy_old.write_text("old")
    legacy_new.write_text("new")
    _age(legacy_old, STALE_AFTER_S + 60)
    user = [tmp_path / "model.pt", tmp_path / "notes.tmp", tmp_path / ".hidden.part", tmp_path / "run.partial-x"]
    for path in user:
        path.write_text("the user's")

    removed = clean_stale(tmp_path)

    assert sorted(p.name for p in removed) == sorted(
        [f"{dead}abcd1234.tmp", f"{dead}zz_9.part", partial.name, legacy_old.name]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{mine}abcd1234.tmp", other_host.name, legacy_new.name] + [p.name for p in user]
    )
    assert capsys.readouterr().err.count("a temporary left by an interrupted run") == 4
    _age(other_host, STALE_AFTER_S + 60)
    assert clean_stale(tmp_path) == [other_host]


def test_missing_or_unreadable_folder_is_no_error(tmp_path):
    assert clean_stale(tmp_path / "nope") == [] and clean_stale(None) == []
    (tmp_path / "file").write_text("x")
    assert clean_stale(tmp_path / "file") == []


def test_owner_is_this_host_and_process():
    assert temp_prefix("a.b") == f".a.b.{temporaries._host()}~{os.getpid()}~"
    assert temp_prefix("a", partial=True).startswith(".a.partial-")
