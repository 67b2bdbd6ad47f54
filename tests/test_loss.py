"""Distillation loss (paper Eq. 1–2 and the public code's flat variant) on hand-checkable features."""

import math

import pytest
import torch

from rd4ad.files.errors import RD4ADError
from rd4ad.models import distillation_loss


def _levels(seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(2, c, s, s, generator=g) for c, s in ((8, 8), (16, 4), (32, 2))]


@pytest.mark.parametrize("kind", ["flat", "eq2"])
def test_identical_features_give_zero(kind):
    feats = _levels()
    assert distillation_loss(feats, [f.clone() for f in feats], kind).item() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("kind", ["flat", "eq2"])
def test_opposite_features_give_two_per_level(kind):
    feats = _levels()
    assert distillation_loss(feats, [-f for f in feats], kind).item() == pytest.approx(6.0, abs=1e-6)


@pytest.mark.parametrize("kind", ["flat", "eq2"])
def test_batch_mean_per_level(kind):
    fe = torch.randn(2, 4, 3, 3, generator=torch.Generator().manual_seed(1))
    fd = torch.stack([fe[0], -fe[1]])
    assert distillation_loss([fe, fe], [fd, fd], kind).item() == pytest.approx(2 * (0 + 2) / 2, abs=1e-6)


def test_flat_and_eq2_differ_by_hand():
    # C=2, H=1, W=2. Teacher: (1, 0) at both locations. Student: (1, 0) and (0, 2).
    fe = torch.tensor([[[[1.0, 1.0]], [[0.0, 0.0]]]])
    fd = torch.tensor([[[[1.0, 0.0]], [[0.0, 2.0]]]])
    # eq2: per location 1 − cos = 0 and 1, averaged over H·W = 0.5.
    assert distillation_loss([fe], [fd], "eq2").item() == pytest.approx(0.5, abs=1e-7)
    # flat: flatten to (1, 1, 0, 0) · (1, 0, 0, 2) = 1, norms √2 and √5: 1 − 1/√10.
    assert distillation_loss([fe], [fd], "flat").item() == pytest.approx(1 - 1 / math.sqrt(10), abs=1e-7)


def test_gradient_reaches_student_features():
    feats = _levels()
    student = [torch.zeros_like(f).normal_(generator=torch.Generator().manual_seed(2)).requires_grad_() for f in feats]
    distillation_loss(feats, student, "eq2").backward()
    assert all(s.grad is not None and s.grad.abs().sum() > 0 for s in student)


def test_bad_input_raises():
    feats = _levels()
    with pytest.raises(RD4ADError, match="loss: 'cosine' is unknown"):
        distillation_loss(feats, feats, "cosine")
    with pytest.raises(RD4ADError, match="level 1 features"):
        distillation_loss(feats, [feats[0], feats[2], feats[2]], "flat")
    with pytest.raises(RD4ADError, match="same non-zero number"):
        distillation_loss(feats, feats[:2], "flat")
