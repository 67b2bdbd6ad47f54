"""anomalib's ``ReverseDistillation`` for one run, with this suite's teacher mapped into its encoder.

The encoder is timm's feature extractor of the run's backbone; its tensors are a subset of the
torchvision ResNet's, so the run's teacher (``rd4ad.models.weights.teacher_resnet``: seeded random
init, torchvision IMAGENET1K_V1 from the ``fetch weights`` cache, or a local ``.pth``) is loaded into
it key by key. anomalib itself would download timm's weights at construction (``pre_trained=True``);
the suite never downloads at run time, and both implementations then distil from the same teacher.
"""

from __future__ import annotations

import torch
from anomalib.models import ReverseDistillation

from rd4ad.builders.split import teacher_calibration
from rd4ad.contract.fingerprints import digest
from rd4ad.contract.run import RunConfig
from rd4ad.data import SplitArrays
from rd4ad.files.errors import RD4ADError
from rd4ad.models.weights import teacher_resnet

TEACHER = (
    "the suite's teacher (teacher_weights) mapped into anomalib's timm encoder "
    "(model.encoder.feature_extractor); anomalib's own pre_trained download is off"
)


def build_anomalib_rd(
    run: RunConfig, cache_dir: str | None = None, train: SplitArrays | None = None
) -> ReverseDistillation:
    """anomalib's Lightning module for ``run``: bottleneck and decoder initialised from ``run.seed``,
    images resized to ``run.image_size`` and ImageNet-normalised by its pre-processor, no
    post-processing (raw maps and scores are what this suite scores)."""
    size = (run.image_size, run.image_size)
    torch.manual_seed(run.seed)
    module = ReverseDistillation(
        backbone=run.backbone,
        pre_trained=False,
        pre_processor=ReverseDistillation.configure_pre_processor(size),
        post_processor=False,
        evaluator=False,
        visualizer=False,
    )
    encoder = module.model.encoder.feature_extractor
    calibration = teacher_calibration(run, cache_dir, train)  # a random_calibrated teacher's training images
    teacher = teacher_resnet(run.backbone, run.teacher_weights, calibration=calibration).state_dict()
    missing = sorted(set(encoder.state_dict()) - set(teacher))
    if missing:
        raise RD4ADError(
            f"run {run.key}: anomalib's {run.backbone} encoder has tensors the torchvision teacher "
            f"lacks ({', '.join(missing[:3])}…); this anomalib release is not the tested one"
        )
    encoder.load_state_dict({k: teacher[k] for k in encoder.state_dict()})
    return module


def encoder_digest(module: ReverseDistillation) -> str:
    """Digest of anomalib's encoder (the frozen teacher), as ``rd4ad.contract.fingerprints`` digests ours."""
    state = module.model.encoder.state_dict()
    return digest(state[key] for key in sorted(state))


def to_anomalib_input(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 3, S, S) → contiguous float in [0, 1], what anomalib's datasets hand its pre-processor
    (its loss ``view``s the features, which fails on the channels-last strides a permuted input gives)."""
    return images.contiguous().float().div_(255.0)


@torch.inference_mode()
def anomalib_outputs(
    module: ReverseDistillation, images: torch.Tensor, device: torch.device, batch_size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """anomalib's raw anomaly maps (N, S, S) and image scores (N,) on CPU, float32: its
    pre-processor's transform, then its model in eval mode (ADD of 1 − cos over the three levels,
    Gaussian σ = 4; score = max of the map)."""
    module.to(device).eval()
    maps, scores = [], []
    for start in range(0, len(images), batch_size):
        x = module.pre_processor.transform(to_anomalib_input(images[start : start + batch_size]).to(device))
        out = module.model(x)
        maps.append(out.anomaly_map[:, 0].float().cpu())
        scores.append(out.pred_score.reshape(-1).float().cpu())
    return torch.cat(maps), torch.cat(scores)
