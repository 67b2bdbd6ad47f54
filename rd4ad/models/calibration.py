"""BatchNorm calibration of a random teacher: the embedded demo's and CI's teacher with signal.

A randomly initialised ResNet's BatchNorm layers hold running mean 0 and variance 1, so in eval mode
they are the identity: no channel is centred or scaled to the data, as those of an ImageNet-trained
ResNet are to its training images. :func:`calibrate_batchnorm` sets every BatchNorm layer's running
statistics from the run's own *normal training images* — one forward pass, no gradients, no labels,
no test image — so that each channel is standardised on the data the student will learn. The
weights stay the seeded random ones. The result depends only on the teacher's seed and the training
split, so the same run rebuilds the same teacher at evaluation, and the teacher digest recorded with
the model (``rd4ad.contract.fingerprints``) covers the statistics.

``teacher_weights: random_calibrated`` selects it (``rd4ad.models.teachers``). It
exists so that the demo and CI, which cannot download ImageNet weights, train detectors that find defects; the paper's
teacher is ImageNet's (rd4ad/models/teachers.py).
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models import ResNet

from rd4ad.models.inputs import to_model_input

CALIBRATION_BATCH = 64


@torch.no_grad()
def calibrate_batchnorm(resnet: ResNet, images: torch.Tensor, normalize: bool) -> ResNet:
    """Set the running statistics of every BatchNorm layer of ``resnet`` (stem to layer4) from ``images``.

    ``images``: uint8 (N, 3, S, S), the training split as the loop feeds it (``normalize``: ImageNet
    mean/std). Batches of :data:`CALIBRATION_BATCH` in the split's order; each layer normalises by
    its batch statistics during the pass, as in training, and keeps their cumulative average
    (``momentum=None``): the mean of the batch means and of the unbiased batch variances. The pass runs
    in one CPU thread, so that jobs with different thread counts (training, evaluation) rebuild the same
    teacher bit for bit.
    """
    layers = [m for m in resnet.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in layers:
        bn.reset_running_stats()
        bn.momentum, bn.training = None, True
    stages = nn.Sequential(
        resnet.conv1,
        resnet.bn1,
        resnet.relu,
        resnet.maxpool,
        resnet.layer1,
        resnet.layer2,
        resnet.layer3,
        resnet.layer4,
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # CPU kernels sum in a thread-count-dependent order; one thread: one teacher
    try:
        for start in range(0, len(images), CALIBRATION_BATCH):
            stages(to_model_input(images[start : start + CALIBRATION_BATCH], normalize))
    finally:
        torch.set_num_threads(threads)
    for bn in layers:
        bn.momentum, bn.training = 0.1, False
    return resnet
