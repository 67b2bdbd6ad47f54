"""The assembled RD4AD model (paper Fig. 3): frozen teacher E → OCBE → student decoder D."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from rd4ad.files.errors import RD4ADError
from rd4ad.models.bottleneck import build_bottleneck
from rd4ad.models.decoder import Decoder, stage_blocks
from rd4ad.models.encoder import Encoder, Frozen, backbone_spec
from rd4ad.models.teachers import RANDOM_TEACHER
from rd4ad.models.weights import teacher_resnet


class RD4AD(nn.Module):
    """``model(x) -> (feats_e, feats_d)``: teacher features [f1, f2, f3] and student features [d1, d2, d3].

    The student (what trains and what checkpoints hold) is the bottleneck + decoder, or the
    decoder alone when the bottleneck is the frozen pretrained layer4 (``pre``).
    """

    def __init__(self, encoder: Encoder, bottleneck: nn.Module, decoder: Decoder) -> None:
        super().__init__()
        self.encoder, self.bottleneck, self.decoder = encoder, bottleneck, decoder

    def forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        feats_e = self.encoder(x)
        return feats_e, self.decoder(self.bottleneck(feats_e))

    def student_modules(self) -> dict[str, nn.Module]:
        """The trainable parts by attribute name: ``bottleneck`` (unless frozen) and ``decoder``."""
        parts = {"bottleneck": self.bottleneck, "decoder": self.decoder}
        return {name: module for name, module in parts.items() if not isinstance(module, Frozen)}

    def trainable_parameters(self) -> list[nn.Parameter]:
        """The parameters the optimiser updates: bottleneck + decoder only (the teacher is frozen)."""
        return [p for module in self.student_modules().values() for p in module.parameters()]

    def student_state_dict(self) -> dict[str, torch.Tensor]:
        """State of the student modules, keys prefixed by module name (what ``model.pt`` stores)."""
        return {
            f"{name}.{key}": value
            for name, module in self.student_modules().items()
            for key, value in module.state_dict().items()
        }

    def frozen_state_dict(self) -> dict[str, torch.Tensor]:
        """Every tensor training leaves unchanged: the teacher, and the bottleneck when it is frozen."""
        student = tuple(f"{name}." for name in self.student_modules())
        return {key: value for key, value in self.state_dict().items() if not key.startswith(student)}

    def load_student_state_dict(self, state: Mapping[str, torch.Tensor]) -> None:
        """Load :meth:`student_state_dict` output; a mismatch raises RD4ADError."""
        expected = set(self.student_state_dict())
        if set(state) != expected:
            missing, unexpected = sorted(expected - set(state)), sorted(set(state) - expected)
            raise RD4ADError(
                f"student weights do not fit this model (backbone, bottleneck, decoder_blocks): "
                f"missing {missing[:3]}, unexpected {unexpected[:3]}; retrain or fix the run config"
            )
        for name, module in self.student_modules().items():
            prefix = f"{name}."
            try:
                module.load_state_dict({k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)})
            except RuntimeError as err:
                detail = str(err).splitlines()[-1].strip()[:200]
                raise RD4ADError(
                    f"student weights do not fit this model's {name}: {detail}; retrain or fix the run config"
                ) from err


def build_model(
    backbone: str,
    teacher_weights: str,
    bottleneck: str,
    decoder_blocks: str,
    mff_fuse: str,
    cache_dir: str | Path | None = None,
    calibration: tuple[torch.Tensor, bool] | None = None,
) -> RD4AD:
    """RD4AD with the given teacher, bottleneck ablation (Table 5), end of MFF (§3.2) and decoder depth
    (supplement Table 1).

    No defaults here: a run's knobs and their defaults are ``RunConfig``'s (rd4ad/contract/run.py).
    The student draws its initial weights from the global RNG (seed it first); the teacher
    does not touch it. ImageNet weights (rd4ad/models/teachers.py) are read from ``cache_dir`` / the torch hub cache;
    ``calibration`` (training images, normalised or not) sets a ``random_calibrated`` teacher's BatchNorm
    statistics (rd4ad/models/calibration.py).
    """
    spec = backbone_spec(backbone)
    blocks = stage_blocks(backbone, decoder_blocks)
    resnet = teacher_resnet(backbone, teacher_weights, cache_dir, calibration)
    return RD4AD(Encoder(resnet), build_bottleneck(bottleneck, spec, resnet.layer4, mff_fuse), Decoder(spec, blocks))


def random_model(backbone: str) -> RD4AD:
    """The public code's RD4AD (full OCBE, plain MFF, [3,4,6] decoder) on a fixed-seed ``random`` teacher:
    what the cost estimate and preflight time and count (a teacher's weights change neither)."""
    return build_model(backbone, RANDOM_TEACHER, "pre+oce+mff", "code", "code")
