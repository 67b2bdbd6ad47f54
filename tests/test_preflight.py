"""`python -m rd4ad doctor`: each check's fail path under faked conditions, and one real run here."""

from __future__ import annotations

import shutil
from collections import namedtuple
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from rd4ad.cli import main
from rd4ad.planning.planner import load_yaml, make_plan
from rd4ad.preflight import checks

REPO = Path(__file__).resolve().parents[1]


def demo_plan(tmp_path, **changes):
    """The demo config's plan, its results and resources under ``tmp_path``, ``changes`` applied."""
    raw = {
        **load_yaml(REPO / "config" / "demo.yaml"),
        "tables": str(REPO / "config" / "tables.yaml"),
        "results": str(tmp_path / "results"),
        "resources": str(tmp_path / "resources"),
        **changes,
    }
    return make_plan(raw)


def statuses(found):
    return {(c.name, c.status) for c in found}


def test_the_demo_passes_every_check_on_this_machine(tmp_path):
    found = checks.run_checks(demo_plan(tmp_path))
    assert [c for c in found if c.status == "fail"] == []
    gpu = [c for c in found if c.name == "gpu"]
    if not torch.cuda.is_available():
        assert [c.detail for c in gpu] == ["no GPU: every job runs on the CPU"]


def test_a_full_disk_fails_naming_the_folder(tmp_path, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10 * 2**20, 10 * 2**20, 2**20))  # 1 MB free
    found = checks.disk(demo_plan(tmp_path))
    results = next(c for c in found if c.name == "disk results")
    assert results.status == "fail" and str(tmp_path / "results") in results.detail
    assert checks.needed_megabytes(demo_plan(tmp_path))["results"] > 1  # the demo's models, about 1 GB


def test_a_missing_local_dataset_fails_and_a_fetched_one_is_said_where_from(tmp_path):
    raw = load_yaml(REPO / "config" / "demo.yaml")
    local = {**raw["datasets"]["mvtec"], "source": "local", "root": str(tmp_path / "nowhere")}
    local.pop("synth")
    found = checks.datasets(demo_plan(tmp_path, datasets={**raw["datasets"], "mvtec": local}))
    assert ("dataset mvtec", "fail") in statuses(found)
    fetched = {**local, "source": "fetch"}
    plan = demo_plan(tmp_path, datasets={**raw["datasets"], "mvtec": fetched})
    assert ("dataset mvtec", "warn") in statuses(checks.datasets(plan))
    assert ("dataset mvtec", "fail") in statuses(checks.datasets(plan, offline=True))


def test_a_prepared_dataset_passes(tmp_path):
    plan = demo_plan(tmp_path)
    marker = Path(plan.config["resources"]) / ".prepared" / "mvtec.synth"
    marker.parent.mkdir(parents=True)
    marker.touch()
    assert "prepared (synth)" in next(c.detail for c in checks.datasets(plan) if c.name == "dataset mvtec")


def test_missing_teacher_weights_fail_offline_and_pass_once_present(tmp_path):
    raw = load_yaml(REPO / "config" / "demo.yaml")
    variants = {name: {**v, "teacher_weights": "imagenet_v1"} for name, v in raw["variants"].items()}
    plan = demo_plan(tmp_path, variants=variants)
    assert ("teacher resnet18", "warn") in statuses(checks.teacher_weights(plan))
    assert ("teacher resnet18", "fail") in statuses(checks.teacher_weights(plan, offline=True))
    from rd4ad.models.weights import teacher_weights_file

    path = teacher_weights_file("resnet18", Path(plan.config["resources"]) / "torch" / "hub" / "checkpoints")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x")
    assert ("teacher resnet18", "ok") in statuses(checks.teacher_weights(plan, offline=True))


def test_a_missing_anomalib_fails(tmp_path, monkeypatch):
    plan = demo_plan(tmp_path)
    monkeypatch.setattr("rd4ad.anomalib_rd.availability.importlib.util.find_spec", lambda name: None)
    assert statuses(checks.extras(plan)) == {("anomalib", "fail")}


def test_no_slurm_client_fails(monkeypatch):
    monkeypatch.setattr(checks.shutil, "which", lambda name: None)
    assert ("slurm", "fail") in statuses(checks.slurm())


def test_a_cpu_torch_build_on_a_gpu_machine_fails(monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(checks, "visible_gpus", lambda: ["0"])
    assert statuses(checks.torch_build()) == {("torch", "fail")}


def test_visible_gpus_that_cuda_cannot_start_fail_the_gpu_check(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(checks, "visible_gpus", lambda: ["0", "1"])
    found = checks.gpus(demo_plan(tmp_path))
    assert statuses(found) == {("gpu", "fail")} and "2 NVIDIA GPU(s) visible but CUDA cannot start" in found[0].detail


@pytest.mark.parametrize("jobs, status", [(1, "ok"), (4, "fail")])
def test_jobs_per_gpu_against_gpu_memory(tmp_path, monkeypatch, jobs, status):
    """A faked 24 GiB GPU holds one assumed 20 GiB paper-shape job, not four."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i: SimpleNamespace(total_memory=24 * 2**30))
    found = checks.jobs_per_gpu(demo_plan(tmp_path, jobs_per_gpu=jobs))
    assert statuses(found) == {("jobs_per_gpu", status)}
    if status == "fail":
        assert "jobs_per_gpu: 1" in found[0].fix


def test_doctor_exits_1_on_a_failure_and_prints_one_line_per_check(tmp_path, monkeypatch, capsys):
    """Every check that reads the machine (torch build, GPUs, CPU kernels, jobs per GPU, anomalib, free
    disk) is faked, so the counts are the same on any machine; the demo config's datasets and teachers
    need nothing from it."""
    config = tmp_path / "demo.yaml"
    raw = load_yaml(REPO / "config" / "demo.yaml")
    raw["tables"] = str(REPO / "config" / "tables.yaml")
    raw["results"] = str(tmp_path / "results")
    config.write_text(__import__("yaml").safe_dump(raw))
    for name in ("torch_build", "gpus", "cpu", "jobs_per_gpu", "extras"):
        monkeypatch.setattr(checks, name, lambda *a, _name=name, **k: [checks.Check("ok", _name, "faked")])
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(2**50, 0, 2**50))
    assert main(["doctor", "--configfile", str(config)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "17 checks: 0 failed, 0 warned"  # 4 of them the beyond replicas
    assert "ok   dataset own: generated at resources/replica_own by the workflow's replica rule" in out
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(1, 1, 0))
    assert main(["doctor", "--configfile", str(config)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("fail disk results") for line in lines)
    assert lines[-1] == "17 checks: 1 failed, 0 warned"


def test_doctor_knows_visa_local_and_fetched(tmp_path):
    raw = load_yaml(REPO / "config" / "demo.yaml")
    visa = {"loader": "visa", "source": "local", "root": str(tmp_path / "nowhere"), "categories": ["candle"]}
    found = checks.datasets(demo_plan(tmp_path, datasets={**raw["datasets"], "visa": visa}))
    assert ("dataset visa", "fail") in statuses(found)
    plan = demo_plan(tmp_path, datasets={**raw["datasets"], "visa": {**visa, "source": "fetch"}})
    fetched = next(c for c in checks.datasets(plan) if c.name == "dataset visa")
    assert fetched.status == "warn" and "VisA_20220922.tar" in fetched.detail
