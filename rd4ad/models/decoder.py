"""Student decoder D (paper Sec. 3.1, supplement Table 1): the teacher's layer3..1 reversed.

Each stage's first block upsamples: its strided conv becomes a 2x2 stride-2 transposed conv
and its shortcut a 2x2 stride-2 transposed conv + BN. Blocks per stage, deep → shallow:
``code`` as the public code, ``supplement`` as printed in supplement Table 1.
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models.resnet import Bottleneck

from rd4ad.files.errors import RD4ADError
from rd4ad.models.bottleneck import CODE_PLANES
from rd4ad.models.encoder import BackboneSpec, backbone_spec, resnet_init_

DECODER_BLOCKS: dict[str, dict[str, tuple[int, int, int]]] = {
    "code": {"resnet18": (2, 2, 2), "resnet50": (3, 4, 6), "wide_resnet50_2": (3, 4, 6)},
    "supplement": {"resnet18": (2, 2, 2), "resnet50": (6, 4, 3), "wide_resnet50_2": (6, 4, 3)},
}


def stage_blocks(backbone: str, kind: str) -> tuple[int, int, int]:
    """Blocks per decoder stage, deep → shallow, for ``decoder_blocks: kind``."""
    backbone_spec(backbone)
    if kind not in DECODER_BLOCKS:
        raise RD4ADError(f"decoder_blocks: '{kind}' is unknown; use one of {', '.join(DECODER_BLOCKS)}")
    return DECODER_BLOCKS[kind][backbone]


def deconv2x2(in_channels: int, out_channels: int, groups: int = 1) -> nn.ConvTranspose2d:
    """2x2 transposed convolution, stride 2 (doubles H and W)."""
    return nn.ConvTranspose2d(in_channels, out_channels, kernel_size=2, stride=2, groups=groups, bias=False)


def upsampling_block(spec: BackboneSpec, in_channels: int, planes: int) -> nn.Module:
    """A torchvision block whose strided conv (conv2 of Bottleneck, conv1 of BasicBlock) is a deconv2x2."""
    out_channels = planes * spec.expansion
    shortcut = nn.Sequential(deconv2x2(in_channels, out_channels), nn.BatchNorm2d(out_channels))
    block = spec.block(in_channels, planes, downsample=shortcut, base_width=spec.width_per_group)
    name = "conv2" if spec.block is Bottleneck else "conv1"
    conv = getattr(block, name)
    setattr(block, name, deconv2x2(conv.in_channels, conv.out_channels, conv.groups))
    block.stride = 2
    return block


def deconv_stage(spec: BackboneSpec, in_channels: int, planes: int, blocks: int) -> nn.Sequential:
    """One decoder stage: an upsampling block, then ``blocks - 1`` plain blocks."""
    out_channels = planes * spec.expansion
    return nn.Sequential(
        upsampling_block(spec, in_channels, planes),
        *[spec.block(out_channels, planes, base_width=spec.width_per_group) for _ in range(blocks - 1)],
    )


class Decoder(nn.Module):
    """De-ResNet: φ (512e, stride 32) → [d1, d2, d3] with the shapes of the teacher's [f1, f2, f3]."""

    def __init__(self, spec: BackboneSpec, blocks: tuple[int, int, int]) -> None:
        super().__init__()
        e = spec.expansion
        self.layer3 = deconv_stage(spec, CODE_PLANES * e, 256, blocks[0])
        self.layer2 = deconv_stage(spec, 256 * e, 128, blocks[1])
        self.layer1 = deconv_stage(spec, 128 * e, 64, blocks[2])
        resnet_init_(self)

    def forward(self, code: torch.Tensor) -> list[torch.Tensor]:
        d3 = self.layer3(code)
        d2 = self.layer2(d3)
        return [self.layer1(d2), d2, d3]
