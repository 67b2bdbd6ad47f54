"""One-class bottleneck embedding (OCBE, paper Sec. 3.2, Fig. 4) and its Table 5 ablations.

- ``pre``: the teacher's own pretrained layer4 on f3 alone, frozen;
- ``pre+oce``: a trainable OCE stage (a ResNet layer4) on f3 alone;
- ``pre+oce+mff``: MFF (f1, f2 strided down to f3's grid, concatenated with f3) + OCE.

``mff_fuse`` chooses how MFF ends: ``code`` (the public code) passes the concatenation straight
to OCE; ``paper`` (§3.2) first applies a 1×1 conv + BN + ReLU that keeps its 3·256e channels.
(The public code builds a 1×1 ``conv4`` of 1024e → 512e channels that does not fit the
concatenation and never calls it; it is not built here.)

Every variant maps [f1, f2, f3] to the code φ with 512e channels at stride 32.
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models.resnet import conv1x1, conv3x3

from rd4ad.files.errors import RD4ADError
from rd4ad.models.choices import BOTTLENECKS, MFF_FUSES
from rd4ad.models.encoder import BackboneSpec, Frozen, resnet_init_

CODE_PLANES = 512


def _down(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(conv3x3(in_ch, out_ch, stride=2), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True))


class MFF(nn.Module):
    """Multi-scale feature fusion: f1 → two 3x3/2 conv-BN-ReLU, f2 → one, concatenated with f3 (3·256e);
    ``fuse="paper"`` ends with a 1x1 conv-BN-ReLU on the concatenation (§3.2)."""

    def __init__(self, spec: BackboneSpec, fuse: str) -> None:
        super().__init__()
        c1, c2, c3 = spec.channels
        self.f1 = nn.Sequential(_down(c1, c2), _down(c2, c3))
        self.f2 = _down(c2, c3)
        self.fuse = (
            nn.Sequential(conv1x1(3 * c3, 3 * c3), nn.BatchNorm2d(3 * c3), nn.ReLU(inplace=True))
            if fuse == "paper"
            else nn.Identity()
        )

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        f1, f2, f3 = feats
        return self.fuse(torch.cat([self.f1(f1), self.f2(f2), f3], dim=1))


def oce_stage(spec: BackboneSpec, in_channels: int) -> nn.Sequential:
    """One-class embedding: a layer4-style stage (first block stride 2, conv1x1/2 + BN shortcut)."""
    out_channels = CODE_PLANES * spec.expansion
    shortcut = nn.Sequential(conv1x1(in_channels, out_channels, stride=2), nn.BatchNorm2d(out_channels))
    blocks = [spec.block(in_channels, CODE_PLANES, 2, shortcut, base_width=spec.width_per_group)]
    blocks += [
        spec.block(out_channels, CODE_PLANES, base_width=spec.width_per_group) for _ in range(spec.layer4_blocks - 1)
    ]
    return nn.Sequential(*blocks)


class OCBE(nn.Module):
    """Trainable bottleneck: OCE on MFF([f1, f2, f3]) (``mff_fuse`` "code" or "paper") or on f3 alone (None)."""

    def __init__(self, spec: BackboneSpec, mff_fuse: str | None) -> None:
        super().__init__()
        self.mff = MFF(spec, mff_fuse) if mff_fuse is not None else None
        self.oce = oce_stage(spec, spec.channels[2] * (3 if self.mff is not None else 1))
        resnet_init_(self)

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        return self.oce(self.mff(feats) if self.mff is not None else feats[2])


class PretrainedBottleneck(Frozen):
    """Table 5 "Pre": the teacher's frozen pretrained layer4 applied to f3."""

    def __init__(self, layer4: nn.Module) -> None:
        super().__init__()
        self.layer4 = layer4
        self.freeze()

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        return self.layer4(feats[2])


def build_bottleneck(kind: str, spec: BackboneSpec, layer4: nn.Module, mff_fuse: str) -> nn.Module:
    """The bottleneck named ``kind`` (one of :data:`BOTTLENECKS`); ``layer4`` is used only by ``pre``,
    ``mff_fuse`` (one of :data:`MFF_FUSES`) only by ``pre+oce+mff``."""
    if mff_fuse not in MFF_FUSES:
        raise RD4ADError(f"mff_fuse: '{mff_fuse}' is unknown; use one of {', '.join(MFF_FUSES)}")
    if kind == "pre":
        return PretrainedBottleneck(layer4)
    if kind in BOTTLENECKS:
        return OCBE(spec, mff_fuse if kind == "pre+oce+mff" else None)
    raise RD4ADError(f"bottleneck: '{kind}' is unknown; use one of {', '.join(BOTTLENECKS)}")
