"""What a ``teacher_weights`` value means, decided once and without importing torch: the paper's ImageNet
weights (``imagenet_v1``, torchvision's IMAGENET1K_V1 files, fetched by ``python -m rd4ad fetch weights``),
a fixed-seed random ResNet (``random``), the same with its BatchNorm statistics calibrated on the run's
training images (``random_calibrated``, rd4ad/models/calibration.py; the demo's and CI's teacher), or a
local ``.pth`` state dict. Every reader (the workflow, the model builder, preflight, the cost estimate, the
report) asks ``resolve_teacher``; rd4ad/models/weights.py loads the weights it names."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class TeacherKind(Enum):
    """The kinds of teacher a ``teacher_weights`` value names."""

    IMAGENET = "imagenet_v1"
    RANDOM = "random"
    CALIBRATED = "random_calibrated"
    FILE = "file"  # any other value: the path of a local .pth state dict


IMAGENET_TEACHER = TeacherKind.IMAGENET.value
RANDOM_TEACHER = TeacherKind.RANDOM.value
CALIBRATED_TEACHER = TeacherKind.CALIBRATED.value
LABELS = {  # how captions and the demo banner name each kind
    TeacherKind.IMAGENET: "ImageNet IMAGENET1K_V1",
    TeacherKind.RANDOM: "random init",
    TeacherKind.CALIBRATED: "random init, BatchNorm statistics calibrated on each run's normal training images",
}


@dataclass(frozen=True)
class Teacher:
    """One ``teacher_weights`` value and what it means."""

    value: str
    kind: TeacherKind

    @property
    def label(self) -> str:
        return LABELS.get(self.kind, f"weights from {self.value}")

    @property
    def random(self) -> bool:
        """No weights file: a fixed-seed initialisation (calibrated or not)."""
        return self.kind in (TeacherKind.RANDOM, TeacherKind.CALIBRATED)

    @property
    def calibrated(self) -> bool:
        """Its BatchNorm statistics come from the run's training images."""
        return self.kind is TeacherKind.CALIBRATED

    @property
    def downloads(self) -> bool:
        """Its file is fetched (``python -m rd4ad fetch weights``) into the resources' weights folder."""
        return self.kind is TeacherKind.IMAGENET

    @property
    def comparable(self) -> bool:
        """The paper's teacher: its runs can be compared with the published numbers."""
        return self.kind is TeacherKind.IMAGENET


def resolve_teacher(value: str) -> Teacher:
    """What ``value`` (a run's ``teacher_weights``) means."""
    kind = next((k for k in TeacherKind if k is not TeacherKind.FILE and k.value == value), TeacherKind.FILE)
    return Teacher(value, kind)
