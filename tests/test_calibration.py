"""The demo's and CI's teacher: a seeded random ResNet whose BatchNorm statistics come from the run's
training images (rd4ad/models/calibration.py)."""

from __future__ import annotations

import pytest
import torch
from data_fixtures import DIGITS_RUN

from rd4ad.builders.model import build_model
from rd4ad.builders.split import load_split, teacher_calibration
from rd4ad.contract.fingerprints import teacher_digest
from rd4ad.contract.run import RunConfig
from rd4ad.files.errors import RD4ADError
from rd4ad.models.inputs import to_model_input
from rd4ad.models.weights import teacher_resnet

RUN = {k: v for k, v in DIGITS_RUN.items() if k != "teacher_weights"} | {"seed": 0, "epochs": 1}


def _images(n: int, seed: int) -> torch.Tensor:
    return torch.randint(0, 256, (n, 3, 32, 32), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


def test_statistics_are_the_training_images_own():
    images = _images(40, 0)
    teacher = teacher_resnet("resnet18", "random_calibrated", calibration=(images, True))
    plain = teacher_resnet("resnet18", "random")
    assert torch.equal(teacher.conv1.weight, plain.conv1.weight), "the weights stay the seeded random ones"
    with torch.no_grad():
        first = plain.conv1(to_model_input(images, True))  # what the first BatchNorm sees (one batch: 40 ≤ 64)
    assert torch.allclose(teacher.bn1.running_mean, first.mean(dim=(0, 2, 3)), atol=1e-6)
    assert torch.allclose(teacher.bn1.running_var, first.var(dim=(0, 2, 3), unbiased=True), rtol=1e-5)
    assert not torch.equal(plain.layer3[1].bn2.running_var, teacher.layer3[1].bn2.running_var)
    assert teacher.bn1.momentum == 0.1 and not teacher.bn1.training
    seen = []
    teacher.layer3[1].bn2.register_forward_hook(
        lambda module, args, out: seen.append(out.clone())
    )  # the block adds in place
    with torch.no_grad():  # in eval mode a deep layer's channels come out standardised on those images
        teacher.eval()(to_model_input(images, True))
    deep = seen[0]
    # (not exactly 0 and 1: eval mode divides by the unbiased variance, the calibration pass by the biased one)
    assert deep.mean(dim=(0, 2, 3)).abs().max() < 0.05
    assert torch.allclose(deep.var(dim=(0, 2, 3)), torch.ones(deep.shape[1]), rtol=0.05)


def test_same_images_same_teacher_other_images_another():
    a = teacher_resnet("resnet18", "random_calibrated", calibration=(_images(70, 0), True))  # two batches
    b = teacher_resnet("resnet18", "random_calibrated", calibration=(_images(70, 0), True))
    c = teacher_resnet("resnet18", "random_calibrated", calibration=(_images(70, 1), True))
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert not torch.equal(a.bn1.running_mean, c.bn1.running_mean)


def test_the_run_calibrates_on_its_training_split_and_the_digest_covers_it():
    calibrated = RunConfig(teacher_weights="random_calibrated", **RUN)
    other_class = RunConfig(teacher_weights="random_calibrated", **{**RUN, "category": "4"})
    random = RunConfig(teacher_weights="random", **RUN)
    digests = [teacher_digest(build_model(r)) for r in (calibrated, calibrated, other_class, random)]
    assert digests[0] == digests[1] and len(set(digests)) == 3
    assert teacher_calibration(random) is None
    images, normalize = teacher_calibration(calibrated)
    train = load_split(calibrated, "train")
    assert torch.equal(images, train.images) and normalize == train.normalize


def test_a_calibrated_teacher_without_images_is_refused():
    with pytest.raises(RD4ADError, match="random_calibrated is calibrated on the run's training images"):
        teacher_resnet("resnet18", "random_calibrated")


def test_the_teacher_is_the_same_whatever_the_thread_count():
    """A training job and an evaluation job may run with different thread counts (``--set-threads``);
    both must rebuild the same teacher bit for bit, or evaluation refuses the model (its teacher digest)."""
    # decoded images are (N, H, W, 3) permuted to (N, 3, H, W), as the loader hands them over: channels-last
    # memory, where the CPU convolution's sums follow the thread count
    images = (torch.rand(32, 64, 64, 3, generator=torch.Generator().manual_seed(3)) * 255).to(torch.uint8)
    images = images.permute(0, 3, 1, 2)
    threads = torch.get_num_threads()
    teachers = []
    try:
        for n in (1, 2, 4):
            torch.set_num_threads(n)
            teachers.append(teacher_resnet("resnet18", "random_calibrated", calibration=(images, True)))
    finally:
        torch.set_num_threads(threads)
    assert torch.get_num_threads() == threads
    for other in teachers[1:]:
        assert all(torch.equal(x, y) for x, y in zip(teachers[0].state_dict().values(), other.state_dict().values()))
