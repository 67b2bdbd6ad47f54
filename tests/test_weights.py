"""Teacher weights: local files, the torch hub cache, and checked downloads from a loopback mirror."""

import functools
import hashlib
import http.server
import threading

import pytest
import torch
import torchvision

from rd4ad.files.errors import RD4ADError
from rd4ad.models import build_model, download_teacher_weights, load_teacher_state_dict, teacher_weights_file, weights
from rd4ad.models.teachers import TeacherKind, resolve_teacher

FULL = ("pre+oce+mff", "code", "code")  # the public code's model: full OCBE, decoder [3,4,6], plain MFF


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """(folder served, base URL) of an HTTP server on 127.0.0.1."""
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    served = tmp_path / "www" / "models"
    served.mkdir(parents=True)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(served.parent))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/models/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def no_download(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("a model build must never download")

    monkeypatch.setattr(torch.hub, "download_url_to_file", fail)


def test_local_state_dict_round_trip(tmp_path, no_download):
    torch.manual_seed(7)
    source = torchvision.models.resnet18()
    path = tmp_path / "teacher.pth"
    torch.save(source.state_dict(), path)
    model = build_model("resnet18", str(path), "pre", "code", "code")
    for key, value in model.encoder.state_dict().items():
        assert torch.equal(value, source.state_dict()[key]), key
    assert torch.equal(model.bottleneck.layer4[1].conv2.weight, source.layer4[1].conv2.weight)
    assert not torch.equal(model.encoder.conv1.weight, build_model("resnet18", "random", *FULL).encoder.conv1.weight)


def test_local_file_of_wrong_backbone_or_missing_raises(tmp_path, no_download):
    path = tmp_path / "r50.pth"
    torch.save(torchvision.models.resnet50().state_dict(), path)
    with pytest.raises(RD4ADError, match=r"r50.pth is not a state dict of torchvision resnet18"):
        build_model("resnet18", str(path), *FULL)
    with pytest.raises(RD4ADError, match=r"nope.pth is not a file"):
        build_model("resnet18", str(tmp_path / "nope.pth"), *FULL)
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(RD4ADError, match=r"junk.pth: cannot be read as a torch state dict"):
        build_model("resnet18", str(tmp_path / "junk.pth"), *FULL)


def test_missing_cache_names_the_file_and_the_fixes(tmp_path, monkeypatch, no_download):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    expected = tmp_path / "torch" / "hub" / "checkpoints" / "resnet50-0676ba61.pth"
    assert teacher_weights_file("resnet50") == expected
    with pytest.raises(RD4ADError) as err:
        build_model("resnet50", "imagenet_v1", *FULL)
    message = str(err.value)
    assert str(expected) in message
    assert "python -m rd4ad fetch weights --backbone resnet50" in message
    assert "local .pth" in message and "'random'" in message


def test_random_needs_no_file_and_keeps_global_rng(no_download):
    assert load_teacher_state_dict("resnet18", "random") is None
    torch.manual_seed(3)
    weights.teacher_resnet("resnet18", "random")
    after_build = torch.rand(3)
    torch.manual_seed(3)
    assert torch.equal(after_build, torch.rand(3))


def test_download_with_wrong_hash_leaves_nothing(tmp_path, mirror):
    served, url = mirror
    (served / "resnet18-f37072fd.pth").write_bytes(b"tampered weights")
    cache = tmp_path / "cache"
    with pytest.raises(RD4ADError, match=r"resnet18-f37072fd.pth: the downloaded file failed its SHA-256 check"):
        download_teacher_weights("resnet18", cache_dir=cache, mirror=url)
    assert list(cache.iterdir()) == []


def test_download_missing_on_mirror_raises(tmp_path, mirror):
    _, url = mirror
    with pytest.raises(RD4ADError, match=r"resnet18-f37072fd.pth: download failed .*404"):
        download_teacher_weights("resnet18", cache_dir=tmp_path / "cache", mirror=url)


def test_download_with_matching_hash_is_cached_and_loadable(tmp_path, mirror, monkeypatch):
    served, url = mirror
    tiny = {"w": torch.arange(6.0).reshape(2, 3)}
    staging = tmp_path / "tiny.pth"
    torch.save(tiny, staging)
    name = f"tiny-{hashlib.sha256(staging.read_bytes()).hexdigest()[:8]}.pth"
    staging.rename(served / name)
    monkeypatch.setitem(weights.TEACHER_URLS, "resnet18", f"https://download.pytorch.org/models/{name}")
    cache = tmp_path / "cache"

    path = download_teacher_weights("resnet18", cache_dir=cache, mirror=url)
    assert path == cache / name and list(cache.iterdir()) == [path]
    assert torch.equal(load_teacher_state_dict("resnet18", "imagenet_v1", cache)["w"], tiny["w"])
    (served / name).unlink()
    assert download_teacher_weights("resnet18", cache_dir=cache, mirror=url) == path


def test_one_resolver_says_what_a_teacher_value_means():
    imagenet, random, calibrated, local = map(
        resolve_teacher, ("imagenet_v1", "random", "random_calibrated", "teachers/mine.pth")
    )
    assert (imagenet.kind, random.kind, calibrated.kind, local.kind) == tuple(TeacherKind)
    assert imagenet.downloads and imagenet.comparable and not imagenet.random
    assert random.random and not random.calibrated and not random.downloads and not random.comparable
    assert calibrated.random and calibrated.calibrated and "calibrated" in calibrated.label
    assert not (local.random or local.downloads or local.comparable)
    assert local.label == "weights from teachers/mine.pth"
