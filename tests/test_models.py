"""RD4AD model: parameter counts vs the public code, shapes, frozen teacher, student state, determinism."""

import pytest
import torch
from torch import nn
from torchvision.models.resnet import Bottleneck, conv1x1

from rd4ad.files.errors import RD4ADError
from rd4ad.models import build_model
from rd4ad.models.bottleneck import OCBE
from rd4ad.models.choices import BACKBONE_NAMES, DECODER_BLOCK_KINDS, LOSS_NAMES
from rd4ad.models.decoder import DECODER_BLOCKS, Decoder
from rd4ad.models.encoder import BACKBONES
from rd4ad.models.loss import LOSSES

FULL = ("pre+oce+mff", "code", "code")  # the public code's model: full OCBE, decoder [3,4,6], plain MFF

# Parameter counts of the public code (random init, counted with torch): (OCBE, decoder).
PUBLIC_CODE_COUNTS = {
    "resnet18": (12_205_312, 3_703_168),
    "resnet50": (39_222_272, 15_821_824),
    "wide_resnet50_2": (67_277_824, 24_917_504),
}


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def public_unused_conv4(expansion: int) -> int:
    """The public code's BN_layer also builds conv4 (1x1, 1024e → 512e) + bn4, never used in forward."""
    return n_params(nn.Sequential(conv1x1(1024 * expansion, 512 * expansion), nn.BatchNorm2d(512 * expansion)))


def test_the_names_planning_checks_are_the_implemented_ones():
    """Planning checks a run against rd4ad.models.choices (no torch); the model keys its parts by them."""
    assert tuple(BACKBONES) == BACKBONE_NAMES
    assert tuple(DECODER_BLOCKS) == DECODER_BLOCK_KINDS
    assert all(tuple(blocks) == BACKBONE_NAMES for blocks in DECODER_BLOCKS.values())
    assert tuple(LOSSES) == LOSS_NAMES


@pytest.mark.parametrize("backbone", list(BACKBONES))
def test_parameter_counts_match_public_code(backbone):
    spec = BACKBONES[backbone]
    ocbe, decoder = PUBLIC_CODE_COUNTS[backbone]
    assert n_params(Decoder(spec, DECODER_BLOCKS["code"][backbone])) == decoder
    assert n_params(OCBE(spec, "code")) + public_unused_conv4(spec.expansion) == ocbe


# MFF + OCE with paper §3.2's 1x1 conv (3·256e → 3·256e, no bias) + BN at the end of MFF.
PAPER_MFF_COUNTS = {
    "resnet18": 11_680_000 + 768 * 768 + 2 * 768,
    "resnet50": 30_829_568 + 3072 * 3072 + 2 * 3072,
    "wide_resnet50_2": 58_885_120 + 3072 * 3072 + 2 * 3072,
}


@pytest.mark.parametrize("backbone", list(BACKBONES))
def test_paper_mff_fuse_adds_a_1x1_conv_bn_on_the_concatenation(backbone):
    spec = BACKBONES[backbone]
    assert n_params(OCBE(spec, "paper")) == PAPER_MFF_COUNTS[backbone]
    assert PAPER_MFF_COUNTS["resnet18"] == 12_271_360 and PAPER_MFF_COUNTS["wide_resnet50_2"] == 68_328_448
    model = build_model(backbone, "random", "pre+oce+mff", "code", "paper")
    fuse = model.bottleneck.mff.fuse
    assert [type(m).__name__ for m in fuse] == ["Conv2d", "BatchNorm2d", "ReLU"]
    assert fuse[0].kernel_size == (1, 1) and fuse[0].in_channels == fuse[0].out_channels == 3 * spec.channels[2]
    assert n_params(model.bottleneck) - n_params(build_model(backbone, "random", *FULL).bottleneck) == PAPER_MFF_COUNTS[
        backbone
    ] - (PUBLIC_CODE_COUNTS[backbone][0] - public_unused_conv4(spec.expansion))


def test_supplement_decoder_moves_three_blocks_from_shallow_to_deep():
    spec = BACKBONES["resnet50"]
    code = n_params(Decoder(spec, DECODER_BLOCKS["code"]["resnet50"]))
    supplement = n_params(Decoder(spec, DECODER_BLOCKS["supplement"]["resnet50"]))
    assert supplement - code == 3 * (n_params(Bottleneck(1024, 256)) - n_params(Bottleneck(256, 64)))
    assert supplement == 18_962_176
    r18 = BACKBONES["resnet18"]
    assert n_params(Decoder(r18, DECODER_BLOCKS["supplement"]["resnet18"])) == PUBLIC_CODE_COUNTS["resnet18"][1]


def test_oce_on_f3_alone_by_hand():
    # ResNet18 "pre+oce": BasicBlock(256→512, stride 2) with conv1x1 shortcut, then BasicBlock(512→512).
    first = 3 * 3 * 256 * 512 + 3 * 3 * 512 * 512 + 256 * 512 + 3 * 2 * 512
    second = 2 * 3 * 3 * 512 * 512 + 2 * 2 * 512
    assert n_params(OCBE(BACKBONES["resnet18"], None)) == first + second == 8_393_728


@pytest.mark.parametrize("bottleneck", ["pre", "pre+oce", "pre+oce+mff"])
def test_resnet18_student_features_match_teacher(bottleneck):
    torch.manual_seed(0)
    model = build_model("resnet18", "random", bottleneck, "code", "code")
    feats_e, feats_d = model(torch.randn(2, 3, 64, 64))
    assert [tuple(f.shape) for f in feats_e] == [(2, 64, 16, 16), (2, 128, 8, 8), (2, 256, 4, 4)]
    assert [f.shape for f in feats_d] == [f.shape for f in feats_e]


def test_wide_resnet50_forward_shapes():
    torch.manual_seed(0)
    feats_e, feats_d = build_model("wide_resnet50_2", "random", *FULL)(torch.randn(1, 3, 64, 64))
    assert [tuple(f.shape) for f in feats_e] == [(1, 256, 16, 16), (1, 512, 8, 8), (1, 1024, 4, 4)]
    assert [f.shape for f in feats_d] == [f.shape for f in feats_e]


@pytest.mark.parametrize("bottleneck, student", [("pre+oce+mff", {"bottleneck", "decoder"}), ("pre", {"decoder"})])
def test_teacher_frozen_in_eval_and_only_student_trains(bottleneck, student):
    torch.manual_seed(0)
    model = build_model("resnet18", "random", bottleneck, "code", "code").train()
    assert not model.encoder.training and not any(m.training for m in model.encoder.modules())
    assert model.bottleneck.training == (bottleneck != "pre")
    assert not any(p.requires_grad for p in model.encoder.parameters())
    trainable = {id(p) for p in model.trainable_parameters()}
    expected = {id(p) for name in student for p in getattr(model, name).parameters()}
    assert trainable == expected and all(p.requires_grad for p in model.trainable_parameters())
    assert {k.split(".")[0] for k in model.student_state_dict()} == student

    teacher_mean = model.encoder.bn1.running_mean.clone()
    student_mean = model.decoder.layer1[0].bn1.running_mean.clone()
    model(torch.randn(2, 3, 64, 64))
    assert torch.equal(model.encoder.bn1.running_mean, teacher_mean)
    assert not torch.equal(model.decoder.layer1[0].bn1.running_mean, student_mean)


def test_random_teacher_is_independent_of_global_rng():
    torch.manual_seed(1)
    first = build_model("resnet18", "random", *FULL)
    torch.manual_seed(2)
    second = build_model("resnet18", "random", *FULL)
    for key, value in first.encoder.state_dict().items():
        assert torch.equal(value, second.encoder.state_dict()[key]), key
    assert not torch.equal(first.decoder.layer1[0].conv1.weight, second.decoder.layer1[0].conv1.weight)


def test_same_seed_same_student():
    torch.manual_seed(5)
    first = build_model("resnet18", "random", *FULL).student_state_dict()
    torch.manual_seed(5)
    second = build_model("resnet18", "random", *FULL).student_state_dict()
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


def test_student_state_round_trip():
    x = torch.randn(1, 3, 64, 64)
    torch.manual_seed(1)
    source = build_model("resnet18", "random", *FULL).eval()
    torch.manual_seed(2)
    target = build_model("resnet18", "random", *FULL).eval()
    assert not torch.equal(source(x)[1][0], target(x)[1][0])
    target.load_student_state_dict(source.student_state_dict())
    assert torch.equal(source(x)[1][0], target(x)[1][0])


def test_student_state_of_another_model_raises():
    torch.manual_seed(0)
    pre = build_model("resnet18", "random", "pre", "code", "code")
    with pytest.raises(RD4ADError, match="missing .*bottleneck"):
        pre.load_student_state_dict(build_model("resnet18", "random", *FULL).student_state_dict())
    full = build_model("resnet18", "random", *FULL)
    state = full.student_state_dict()
    state["bottleneck.oce.0.conv1.weight"] = state["bottleneck.oce.0.conv1.weight"][:, :256]
    with pytest.raises(RD4ADError, match="do not fit this model's bottleneck: .*oce.0.conv1.weight"):
        full.load_student_state_dict(state)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"backbone": "resnet34"}, "backbone: 'resnet34' is not supported"),
        ({"backbone": "resnet18", "bottleneck": "oce"}, "bottleneck: 'oce' is unknown"),
        ({"backbone": "resnet18", "decoder_blocks": "paper"}, "decoder_blocks: 'paper' is unknown"),
        ({"backbone": "resnet18", "mff_fuse": "supplement"}, "mff_fuse: 'supplement' is unknown"),
    ],
)
def test_bad_names_raise(kwargs, message):
    with pytest.raises(RD4ADError, match=message):
        build_model(
            **{"teacher_weights": "random", **dict(zip(("bottleneck", "decoder_blocks", "mff_fuse"), FULL)), **kwargs}
        )
