"""Atomic writes: a failed write leaves the old file and no temporary behind; new files get the
usual permissions (not mkstemp's 0600); checkpoints load with weights_only."""

import os
import stat
from pathlib import PurePosixPath

import pytest
import torch

from rd4ad.io import atomic_save_with, atomic_torch_save, atomic_write_json, load_checkpoint


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
    with pytest.raises(Exception, match="weights_only|Unsupported global"):
        load_checkpoint(tmp_path / "evil.pt")
