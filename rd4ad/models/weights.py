"""Teacher weights, as rd4ad/models/teachers.py resolves a ``teacher_weights`` value: ImageNet | random |
calibrated random | a local ``.pth`` state dict.

The ImageNet weights are torchvision's IMAGENET1K_V1 files (the old ``pretrained=True`` weights),
read from the torch hub cache (``$TORCH_HOME/hub/checkpoints``). Building a model never
downloads: :func:`download_teacher_weights` (``python -m rd4ad fetch weights``) does, checking
the SHA-256 prefix carried in each file name. ``random`` is a fixed-seed initialisation, so
evaluation rebuilds the same teacher whatever the global RNG state. ``random_calibrated`` is that
initialisation with BatchNorm statistics set from the run's training images
(``rd4ad.models.calibration``): the demo's and CI's teacher.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import torch
from torchvision.models import ResNet, ResNet18_Weights, ResNet50_Weights, Wide_ResNet50_2_Weights

from rd4ad.files.errors import RD4ADError, UnreadableFileError
from rd4ad.files.io import load_checkpoint
from rd4ad.models.calibration import calibrate_batchnorm
from rd4ad.models.encoder import backbone_spec
from rd4ad.models.teachers import IMAGENET_TEACHER, RANDOM_TEACHER, resolve_teacher

TEACHER_URLS: dict[str, str] = {
    "resnet18": ResNet18_Weights.IMAGENET1K_V1.url,
    "resnet50": ResNet50_Weights.IMAGENET1K_V1.url,
    "wide_resnet50_2": Wide_ResNet50_2_Weights.IMAGENET1K_V1.url,
}
RANDOM_TEACHER_SEED = 0


def _url(backbone: str) -> str:
    backbone_spec(backbone)
    return TEACHER_URLS[backbone]


def teacher_weights_file(backbone: str, cache_dir: str | Path | None = None) -> Path:
    """Where the IMAGENET1K_V1 file of ``backbone`` lives: ``cache_dir`` or the torch hub cache."""
    folder = Path(cache_dir) if cache_dir is not None else Path(torch.hub.get_dir()) / "checkpoints"
    return folder / Path(urlsplit(_url(backbone)).path).name


def download_teacher_weights(backbone: str, cache_dir: str | Path | None = None, mirror: str | None = None) -> Path:
    """Download the IMAGENET1K_V1 file of ``backbone`` into the cache (once) and return its path.

    ``mirror`` replaces ``https://download.pytorch.org/models/`` by another base URL. The
    SHA-256 prefix in the file name is checked; a failed download leaves nothing in the cache.
    """
    dst = teacher_weights_file(backbone, cache_dir)
    if dst.is_file():
        return dst
    url = f"{mirror.rstrip('/')}/{dst.name}" if mirror else _url(backbone)
    hash_prefix = torch.hub.HASH_REGEX.search(dst.name).group(1)
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(url, str(dst), hash_prefix=hash_prefix, progress=sys.stderr.isatty())
    except RuntimeError as err:
        raise RD4ADError(
            f"{url}: the downloaded file failed its SHA-256 check ({err}); nothing was saved "
            f"to {dst}. Use the official source or a mirror serving the identical file"
        ) from err
    except OSError as err:
        raise RD4ADError(
            f"{url}: download failed ({err}); check the network or pass --mirror URL, "
            f"or copy {dst.name} into {dst.parent} by hand"
        ) from err
    return dst


def load_teacher_state_dict(
    backbone: str, teacher_weights: str, cache_dir: str | Path | None = None
) -> dict[str, torch.Tensor] | None:
    """The teacher's state dict for ``teacher_weights`` (``None`` for the random ones); never downloads."""
    teacher = resolve_teacher(teacher_weights)
    if teacher.random:
        backbone_spec(backbone)
        return None
    if teacher.downloads:
        path = teacher_weights_file(backbone, cache_dir)
        if not path.is_file():
            raise RD4ADError(
                f"teacher_weights: {IMAGENET_TEACHER} for {backbone} expects the file {path} (torch hub cache, "
                f"set by TORCH_HOME); download it with `python -m rd4ad fetch weights --backbone {backbone}`, "
                f"or set teacher_weights to a local .pth state dict, or to '{RANDOM_TEACHER}' for the demo"
            )
    else:
        path = Path(teacher_weights)
        if not path.is_file():
            raise RD4ADError(
                f"teacher_weights: {path} is not a file; give a .pth state dict of torchvision "
                f"{backbone}, '{IMAGENET_TEACHER}' or '{RANDOM_TEACHER}'"
            )
    try:
        state = load_checkpoint(path)
    except UnreadableFileError as err:
        raise RD4ADError(
            f"{path}: cannot be read as a torch state dict ({err.detail}); "
            f"re-download it or point teacher_weights at a valid .pth file"
        ) from err
    if not isinstance(state, dict):
        raise RD4ADError(f"{path}: holds a {type(state).__name__}, not a state dict of torchvision {backbone}")
    return state


def teacher_resnet(
    backbone: str,
    teacher_weights: str,
    cache_dir: str | Path | None = None,
    calibration: tuple[torch.Tensor, bool] | None = None,
) -> ResNet:
    """The full torchvision teacher: seeded random init (global RNG untouched), then the weights if any.

    ``calibration``: the run's training images and whether they are ImageNet-normalised, which
    ``random_calibrated`` needs (and the other teachers ignore)."""
    calibrated = resolve_teacher(teacher_weights).calibrated
    if calibrated and calibration is None:
        raise RD4ADError(
            f"teacher_weights: {teacher_weights} is calibrated on the run's training images; "
            f"build it through the run (RunConfig.build_model), which loads them"
        )
    state = load_teacher_state_dict(backbone, teacher_weights, cache_dir)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_TEACHER_SEED)
        resnet = backbone_spec(backbone).builder(weights=None)
    if state is not None:
        try:
            resnet.load_state_dict(state)
        except RuntimeError as err:
            detail = str(err).splitlines()[-1].strip()[:200]
            raise RD4ADError(
                f"teacher_weights: {teacher_weights} is not a state dict of torchvision {backbone} "
                f"({detail}); give the matching backbone's weights"
            ) from err
    if calibrated:
        calibrate_batchnorm(resnet, *calibration)
    return resnet
