"""The in-memory form of one split (docs/architecture.md "Data contract") and the PIL decoding it uses.

Images are decoded and resized ONCE, as the public code's transform does per step:
``.convert("RGB")`` → ``Resize((S, S))`` (bilinear, PIL) → ``ToTensor`` → ``CenterCrop(S)``. After ``Resize((S, S))``
the ``CenterCrop(S)`` is a no-op, so it is not applied. ``ToTensor``'s /255 and the ImageNet
mean/std are applied later on the device (``rd4ad.models.inputs.to_model_input``).

Every image reaches its final mode (RGB; masks L) through :func:`final_mode` BEFORE it is resized,
whatever the file's mode (P, PA, LA, RGBA, CMYK, 1, 16-bit, …): Pillow resizes P and 1 images
nearest-neighbour and RGBA / LA with premultiplied alpha, so resizing first would change pixels.
16-bit grayscale images and masks are brought to 8 bits by keeping the high byte
(:func:`to_8bit`); PIL's own ``.convert("RGB")`` would clip every value above 255 to white.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torchvision.transforms import InterpolationMode
from torchvision.transforms.functional import resize

from rd4ad.files.errors import UnreadableFileError

MAX_PIXELS = 4096 * 4096  # larger images are refused before decoding (a decompression bomb in a local copy)
GOOD = "good"  # the defect name of a normal image (label 0) in every image dataset
REGENERATE = "re-download or re-generate the dataset (delete its folder and run `python -m rd4ad fetch`/`synth` again)"


@dataclass
class SplitArrays:
    """One decoded split: uint8 images (N, 3, S, S), labels, optional binary masks, ids."""

    images: torch.Tensor
    labels: np.ndarray
    masks: np.ndarray | None
    names: list[str]
    defects: list[str]
    normalize: bool

    def __post_init__(self) -> None:
        n = len(self.labels)
        sizes = {len(self.images), len(self.names), len(self.defects)} | (
            {len(self.masks)} if self.masks is not None else set()
        )
        if sizes != {n}:
            raise ValueError(f"SplitArrays fields disagree in length: {sizes | {n}}")


def final_mode(image: Image.Image, mode: str) -> Image.Image:
    """``image`` in ``mode`` (``RGB`` or ``L``): 16-bit gray by :func:`to_8bit` first, then PIL's ``convert``."""
    image = to_8bit(image)
    return image if image.mode == mode else image.convert(mode)


def resize_image(image: Image.Image, size: int) -> np.ndarray:
    """PIL image → uint8 (3, S, S): converted to RGB, then torchvision ``Resize((S, S))`` bilinear on PIL."""
    rgb = resize(final_mode(image, "RGB"), [size, size], InterpolationMode.BILINEAR)
    return np.asarray(rgb, dtype=np.uint8).transpose(2, 0, 1)


def binarize(values: np.ndarray) -> np.ndarray:
    """8-bit mask values → uint8 0/1, as the public code: positive when ``value / 255 > 0.5`` (``value >= 128``)."""
    return (values.astype(np.float32) / 255.0 > 0.5).astype(np.uint8)


def nonzero_defect(mask: Image.Image) -> Image.Image:
    """A mask whose every non-zero value marks a defect (VisA's 0/1 or small class values) → 8-bit L 0/255,
    as VisA's ``utils/prepare_data.py`` (amazon-science/spot-diff) sets ``mask_array != 0`` to 255."""
    values = np.asarray(final_mode(mask, "L"))
    return Image.fromarray(np.where(values != 0, 255, 0).astype(np.uint8), "L")


def resize_mask(mask: Image.Image, size: int) -> np.ndarray:
    """Ground-truth mask → binary uint8 (S, S), as the public code: Resize((S, S)) then > 0.5.

    The mask is converted to an 8-bit ``L`` image (0/255), resized bilinearly by PIL, then :func:`binarize`.
    """
    return binarize(np.asarray(resize(final_mode(mask, "L"), [size, size], InterpolationMode.BILINEAR)))


def to_8bit(image: Image.Image) -> Image.Image:
    """16-bit grayscale (PIL modes ``I;16*``, and ``I``, which a PNG only is when 16-bit) → ``L`` by
    ``value >> 8`` (the high byte: 65535 → 255, 257·v → v), as Pillow reads 16-bit RGB PNGs itself;
    any other image is returned as it is."""
    if not image.mode.startswith("I;16") and image.mode != "I":
        return image
    values = np.clip(np.asarray(image).astype(np.int64), 0, 65535)
    return Image.fromarray((values >> 8).astype(np.uint8))


def open_image(path: Path) -> Image.Image:
    """Open and fully decode ``path`` in its file's mode (:func:`final_mode` converts it); an empty or undecodable
    file, or one of more than :data:`MAX_PIXELS` pixels, is an ``UnreadableFileError`` naming it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked below
            img = Image.open(path)
        with img:
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise UnreadableFileError(
                    path,
                    f"{width}×{height} pixels, more than the {MAX_PIXELS:,} this suite "
                    f"decodes (MVTec AD's largest images are 1024×1024)",
                    REGENERATE,
                )
            img.load()
            return img
    except Image.DecompressionBombError as err:
        raise UnreadableFileError(path, f"more pixels than PIL will decode ({err})", REGENERATE) from err
    except UnidentifiedImageError as err:
        empty = path.is_file() and path.stat().st_size == 0
        raise UnreadableFileError(
            path, "empty file" if empty else "not an image file PIL can identify", REGENERATE
        ) from err
    except (OSError, SyntaxError, ValueError) as err:
        raise UnreadableFileError(path, f"image does not decode: {err}", REGENERATE) from err


def stack_images(images: list[np.ndarray], size: int) -> torch.Tensor:
    """List of uint8 (3, S, S) arrays → one uint8 tensor (N, 3, S, S) (empty list allowed)."""
    if not images:
        return torch.zeros((0, 3, size, size), dtype=torch.uint8)
    return torch.from_numpy(np.stack(images))


def decode_split(
    entries: Iterable[tuple[Path, Image.Image | None, str, str]], image_size: int, *, masks: bool = True
) -> SplitArrays:
    """One split decoded from its ``entries``: (image file, its defect mask as an L image or None for a
    normal image, name, defect name; :data:`GOOD` labels 0), normalised as ImageNet images.
    ``masks=False``: a split without pixel labels (``masks`` None)."""
    decoded, masks_list, names, defects = [], [], [], []
    blank = np.zeros((image_size, image_size), np.uint8)
    for path, mask, name, defect in entries:
        decoded.append(resize_image(open_image(path), image_size))
        masks_list.append(blank if mask is None else resize_mask(mask, image_size))
        names.append(name)
        defects.append(defect)
    labels = np.array([d != GOOD for d in defects], dtype=np.int64)
    stacked = np.stack(masks_list) if masks_list else np.zeros((0, image_size, image_size), np.uint8)
    return SplitArrays(stack_images(decoded, image_size), labels, stacked if masks else None, names, defects, True)
