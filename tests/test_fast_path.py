"""Fast path vs the public code's loop: same init and order → the same model and metrics.

On CPU the fast loop (cached uint8 tensors, normalisation on the device, no per-step
``.item()``) and the re-created public loop (PIL decode + Resize/ToTensor/CenterCrop/
Normalize every step) see bit-identical inputs in the same order, so the test demands
EQUAL weights and metrics, not "within noise". The CUDA test (bf16, channels_last, fused
Adam vs fp32) can only be within noise and runs where a GPU is present.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch.utils.data import Sampler

from rd4ad.builders.split import load_split as run_split
from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.data import load_split
from rd4ad.data.synth import SynthConfig, generate
from rd4ad.evaluation.evaluate import load_trained
from rd4ad.evaluation.inference import infer_level_maps
from rd4ad.evaluation.levels import evaluate_maps
from rd4ad.implementations.evaluate import evaluate_run
from rd4ad.machine.device import set_deterministic
from rd4ad.machine.fast_path import fast_path
from rd4ad.models import distillation_loss
from rd4ad.models.inputs import to_model_input
from rd4ad.scoring import HEADLINE
from rd4ad.training.loop import _fresh, epoch_order, train_run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))  # the public loop is a benchmark baseline
from public_loop import public_train_loader, train_public  # noqa: E402

CPU = torch.device("cpu")


class EpochOrder(Sampler):
    """Yields the fast loop's shuffled order of epoch 1, 2, … (one epoch per ``iter``)."""

    def __init__(self, n: int, seed: int) -> None:
        self.n, self.seed, self.epoch = n, seed, 0

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        self.epoch += 1
        return iter(epoch_order(self.n, self.seed, self.epoch).tolist())


@pytest.fixture(scope="module")
def synth_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    generate(
        root,
        SynthConfig(image_size=64, n_train=20, n_test_good=6, n_test_defect=3, categories=("brick",)),
        overwrite=True,
    )
    return root


def _run(root, **kw) -> RunConfig:
    return RunConfig(
        **{
            **dict(
                dataset="mvtec",
                category="brick",
                variant="fast",
                seed=111,
                loader="mvtec",
                data_root=str(root),
                protocol={},
                demo=True,
                backbone="resnet18",
                teacher_weights="random",
                image_size=64,
                epochs=2,
                lr=0.005,
                batch_size=8,
                fast=True,
            ),
            **kw,
        }
    )


def _metrics(model, run: RunConfig, device: torch.device) -> dict:
    test = run_split(run, "test")
    maps = infer_level_maps(model, test, device)
    return evaluate_maps(maps, test, run.score, device)[0]


def test_public_loader_sees_the_cached_pixels(synth_root):
    run = _run(synth_root)
    cached = load_split("mvtec", synth_root, "brick", "train", 64)
    batch, _ = next(iter(public_train_loader(synth_root, "brick", 64, batch_size=4, sampler=range(4))))
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    assert batch.shape == (4, 3, run.image_size, run.image_size)
    assert torch.equal(batch, (cached.images[:4].float() / 255 - mean) / std)


def test_fast_loop_equals_public_loop_on_cpu(synth_root, tmp_path):
    set_deterministic(True)
    run = _run(synth_root)
    n_train = len(load_split("mvtec", synth_root, "brick", "train", 64).labels)
    public = train_public(run, CPU, sampler=EpochOrder(n_train, run.seed))
    fast, _, _ = load_trained(train_run(run, RunFolder(tmp_path, run.key), CPU, cache_dir=str(tmp_path / "cache")), CPU)
    ours, theirs = fast.student_state_dict(), public.student_state_dict()
    assert ours.keys() == theirs.keys()
    for key in ours:
        assert torch.equal(ours[key], theirs[key]), key
    m_fast, m_public = _metrics(fast, run, CPU), _metrics(public, run, CPU)
    assert m_fast == m_public
    assert 0.0 <= m_fast[HEADLINE]["image_auroc"] <= 1.0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_fast_path_matches_public_loop_within_half_a_point(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth_gpu")
    generate(root, SynthConfig(image_size=128, n_train=64, categories=("brick",)), overwrite=True)
    set_deterministic(False)
    cuda = torch.device("cuda")
    run = _run(root, image_size=128, epochs=10, batch_size=16, precision="bf16")
    public = train_public(RunConfig(**{**run.to_dict(), "fast": False, "precision": "fp32"}), cuda)
    fast, _, _ = load_trained(train_run(run, RunFolder(tmp_path_factory.mktemp("gpu"), run.key), cuda), cuda)
    a, b = _metrics(fast, run, cuda)[HEADLINE], _metrics(public, run, cuda)[HEADLINE]
    assert abs(a["image_auroc"] - b["image_auroc"]) <= 0.005


def test_fast_path_runs_on_cpu_when_asked(synth_root):
    run = _run(synth_root)
    assert not fast_path(run.fast, CPU) and fast_path(run.fast, CPU, on_cpu=True)
    assert not fast_path(False, torch.device("cuda")) and fast_path(True, torch.device("cuda"))
    model, optimizer, _ = _fresh(run, CPU, False, fast_path(run.fast, CPU, on_cpu=True), "native")
    assert model.encoder.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    assert optimizer.defaults["fused"] is True


def test_fast_path_on_cpu_equals_plain_path_within_rounding(synth_root):
    """channels_last and fused Adam on CPU: the same loss and gradients within float rounding, and
    the same Adam update for the same gradients, so that on a GPU box only the device is new."""
    set_deterministic(True)
    run = _run(synth_root)
    images = load_split("mvtec", synth_root, "brick", "train", 64).images[:8]
    steps = {}
    for fast in (False, True):
        model, optimizer, forward = _fresh(run, CPU, False, fast, "native")
        model.train()
        feats_e, feats_d = forward(to_model_input(images, True, fast))
        loss = distillation_loss(feats_e, feats_d, run.loss)
        loss.backward()
        grads = [p.grad.clone() for p in model.trainable_parameters()]
        steps[fast] = (float(loss), grads, model, optimizer)
    (loss_plain, g_plain, *_), (loss_fast, g_fast, *_) = steps[False], steps[True]
    assert abs(loss_fast - loss_plain) <= 1e-6 * abs(loss_plain)
    for a, b in zip(g_plain, g_fast):
        assert torch.allclose(a, b, rtol=1e-3, atol=1e-6)
    for fast in (False, True):  # the plain path's gradients into both optimizers, three steps
        _, _, model, optimizer = steps[fast]
        for _ in range(3):
            for p, g in zip(model.trainable_parameters(), g_plain):
                p.grad = torch.empty_like(p).copy_(g)  # in the parameter's memory format, as backward gives it
            optimizer.step()
    for a, b in zip(steps[False][2].trainable_parameters(), steps[True][2].trainable_parameters()):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-7)


def test_fast_path_on_cpu_trains_and_evaluates(synth_root, tmp_path):
    run = _run(synth_root)
    folder = RunFolder(tmp_path, run.key)
    train_run(run, folder, CPU, fast_on_cpu=True)
    result = evaluate_run(folder, CPU, fast_on_cpu=True)
    metrics = result["levels"][HEADLINE]
    assert 0.0 <= metrics["image_auroc"] <= 1.0 and 0.0 <= metrics["pixel_auroc"] <= 1.0
    for metric in ("image_auroc", "pixel_auroc", "pro"):  # an MVTec-format run bootstraps its pixel metrics too
        low, high = result["intervals"][metric]
        assert 0.0 <= low < high <= 1.0, metric
