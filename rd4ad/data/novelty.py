"""One-class novelty split (Table 4 / supplement Table 2).

Train on the training images of one class; test on the whole test split, where every image of
another class is anomalous (label 1).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

from rd4ad.data.arrays import SplitArrays, resize_image, stack_images
from rd4ad.files.errors import RD4ADError


def parse_class(category: str, n_classes: int) -> int:
    """Novelty category string ``"0"``…``"<n-1>"`` → class id."""
    if not (category.isdigit() and int(category) < n_classes):
        raise RD4ADError(f"category {category!r}: a novelty category is a class id '0'..'{n_classes - 1}'")
    return int(category)


def one_class_split(
    get_image: Callable[[int], Image.Image],
    classes: np.ndarray,
    normal: int,
    split: str,
    image_size: int,
    normalize: bool,
) -> SplitArrays:
    """Decode the images of the one-class ``split``: ``train`` keeps class ``normal``; ``test`` keeps all,
    labelled 1 where the class differs. ``get_image(i)`` returns the i-th image of the source split."""
    classes = np.asarray(classes, dtype=np.int64)
    keep = np.flatnonzero(classes == normal) if split == "train" else np.arange(len(classes))
    images = [resize_image(get_image(int(i)), image_size) for i in keep]
    return SplitArrays(
        stack_images(images, image_size),
        (classes[keep] != normal).astype(np.int64),
        None,
        [f"{split}/{i:05d}" for i in keep],
        [str(c) for c in classes[keep]],
        normalize,
    )
