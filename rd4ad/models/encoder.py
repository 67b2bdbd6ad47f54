"""Teacher encoder E (paper Sec. 3.1): a frozen torchvision ResNet, stem + layer1..3 → [f1, f2, f3].

Also holds the facts about the three backbones that the bottleneck and the decoder
mirror (block type, width per group, blocks in layer4) and the ResNet weight init.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torchvision.models import ResNet, resnet18, resnet50, wide_resnet50_2
from torchvision.models.resnet import BasicBlock, Bottleneck

from rd4ad.files.errors import RD4ADError


@dataclass(frozen=True)
class BackboneSpec:
    """One torchvision ResNet: its constructor, block type, bottleneck width and layer4 depth."""

    builder: Callable[..., ResNet]
    block: type[BasicBlock] | type[Bottleneck]
    width_per_group: int
    layer4_blocks: int

    @property
    def expansion(self) -> int:
        """The channel expansion e: 1 for BasicBlock, 4 for Bottleneck."""
        return self.block.expansion

    @property
    def channels(self) -> tuple[int, int, int]:
        """Channels of [f1, f2, f3]: 64e, 128e, 256e."""
        return 64 * self.expansion, 128 * self.expansion, 256 * self.expansion


BACKBONES: dict[str, BackboneSpec] = {
    "resnet18": BackboneSpec(resnet18, BasicBlock, 64, 2),
    "resnet50": BackboneSpec(resnet50, Bottleneck, 64, 3),
    "wide_resnet50_2": BackboneSpec(wide_resnet50_2, Bottleneck, 128, 3),
}


def backbone_spec(backbone: str) -> BackboneSpec:
    """The :class:`BackboneSpec` of ``backbone``; unknown names raise RD4ADError."""
    if backbone not in BACKBONES:
        raise RD4ADError(f"backbone: '{backbone}' is not supported; use one of {', '.join(BACKBONES)}")
    return BACKBONES[backbone]


def resnet_init_(module: nn.Module) -> nn.Module:
    """The public code's init: Kaiming-normal (fan_out, ReLU) for Conv2d, BatchNorm weight 1 / bias 0.

    ConvTranspose2d layers keep PyTorch's default init, as in the public code.
    """
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)
    return module


class Frozen(nn.Module):
    """A module that never trains: no gradients, and BatchNorm statistics fixed even under ``train()``."""

    def freeze(self) -> Frozen:
        """Turn off gradients and switch to eval mode for good."""
        self.requires_grad_(False)
        return self.train(False)

    def train(self, mode: bool = True) -> Frozen:
        """Ignore ``mode``: a frozen module is always in eval mode."""
        return super().train(False)


class Encoder(Frozen):
    """Teacher E: stem + layer1..3 of a pretrained ResNet; ``forward(x) -> [f1, f2, f3]``."""

    def __init__(self, resnet: ResNet) -> None:
        super().__init__()
        self.conv1, self.bn1, self.relu, self.maxpool = resnet.conv1, resnet.bn1, resnet.relu, resnet.maxpool
        self.layer1, self.layer2, self.layer3 = resnet.layer1, resnet.layer2, resnet.layer3
        self.freeze()

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        f1 = self.layer1(self.maxpool(self.relu(self.bn1(self.conv1(x)))))
        f2 = self.layer2(f1)
        return [f1, f2, self.layer3(f2)]
