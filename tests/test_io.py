"""Atomic writes: a failed write leaves the old file and no temporary behind; new files get the
usual permissions (not mkstemp's 0600); checkpoints load with weights_only; unreadable files and
failed writes are one clear error; folders are replaced in one step."""

import os
import stat
from pathlib import PurePosixPath

import pytest
import torch

from rd4ad.files import io
from rd4ad.files.errors import StorageError, UnreadableFileError
from rd4ad.files.io import (
    atomic_save_with,
    atomic_torch_save,
    atomic_write_json,
    load_checkpoint,
    move_aside,
    replace_folder,
)


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = atomic_write_json(tmp_path / "metrics.json", {"pro": 0.5})

    def crash(tmp):
        open(tmp, "w").write("half")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        atomic_save_with(target, crash)
    assert target.read_text() == '{\n  "pro": 0.5\n}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]


def test_new_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write_json(tmp_path / "index.json", {})
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_checkpoints_refuse_arbitrary_objects(tmp_path):
    path = atomic_torch_save({"w": torch.arange(3)}, tmp_path / "ok.pt")
    assert load_checkpoint(path)["w"].tolist() == [0, 1, 2]
    torch.save({"f": PurePosixPath("x")}, tmp_path / "evil.pt")  # any non-tensor global
    with pytest.raises(UnreadableFileError, match="weights_only loading: Unsupported global"):
        load_checkpoint(tmp_path / "evil.pt")


def test_unreadable_checkpoints_say_why(tmp_path):
    good = atomic_torch_save({"w": torch.arange(1000)}, tmp_path / "good.pt").read_bytes()
    files = {"empty.pt": b"", "half.pt": good[: len(good) // 2], "text.pt": b"model weights\n"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "folder.pt").mkdir()
    expected = {
        "empty.pt": "unreadable (empty file)",
        "half.pt": "unreadable (not a torch checkpoint",
        "text.pt": "unreadable (not a torch checkpoint",
        "folder.pt": "unreadable (not a torch checkpoint",
    }
    for name, text in expected.items():
        with pytest.raises(UnreadableFileError) as err:
            load_checkpoint(tmp_path / name)
        assert str(err.value).startswith(f"{tmp_path / name}: {text}"), str(err.value)
        assert "\n" not in str(err.value)


def test_write_where_a_file_blocks_the_folder_is_a_storage_error(tmp_path):
    (tmp_path / "results").write_text("a file, not a folder")
    with pytest.raises(StorageError, match="a file stands where a folder is expected"):
        atomic_write_json(tmp_path / "results" / "run" / "metrics.json", {})
    assert (tmp_path / "results").read_text() == "a file, not a folder"


def test_move_aside_keeps_the_bytes_and_says_so(tmp_path, capsys):
    bad = tmp_path / "resume.pt"
    bad.write_bytes(b"junk")
    aside = move_aside(bad, "unreadable (empty file)", "starting over")
    assert aside == tmp_path / "resume.pt.corrupt" and aside.read_bytes() == b"junk" and not bad.exists()
    assert capsys.readouterr().err == f"{bad}: unreadable (empty file); moved to resume.pt.corrupt, starting over\n"
    assert move_aside(bad, "gone", "x") is None


@pytest.mark.parametrize("exchange", [True, False])
def test_replace_folder_swaps_the_whole_folder(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(io, "_exchange", lambda a, b: False)
    dest, new = tmp_path / "set", tmp_path / ".set.new"
    (dest / "old").mkdir(parents=True)
    (dest / "old" / "a.png").write_text("old")
    (new / "fresh").mkdir(parents=True)
    (new / "fresh" / "b.png").write_text("new")
    assert replace_folder(new, dest) == dest
    assert [p.relative_to(dest).as_posix() for p in sorted(dest.rglob("*"))] == ["fresh", "fresh/b.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]
