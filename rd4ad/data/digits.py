"""Embedded novelty set: scikit-learn's ``load_digits`` (1,797 8×8 digits, offline).

Same one-class protocol and interface as MNIST. Pixel values 0..16 are scaled to 0..255
(rounded), the 8×8 image is upsampled with the same ``Resize((S, S))`` and repeated to 3
channels, no normalisation (as (F-)MNIST). There is no official split: a stratified 50/50
split with ``random_state=0`` (``sklearn.model_selection.train_test_split``) is used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from rd4ad.data.arrays import SplitArrays
from rd4ad.data.novelty import one_class_split, parse_class

SPLIT_SEED = 0
# scikit-learn is imported where the digits are read: importing it costs about 1.3 s, which every
# process importing rd4ad.data (all train and evaluate jobs) would pay otherwise.


def load_digits_split(category: str, split: str, image_size: int) -> SplitArrays:
    """One-class split of the digits with normal class ``category``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    normal = parse_class(category, 10)
    digits = load_digits()
    pixels = np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8)
    train, test = train_test_split(
        np.arange(len(pixels)), test_size=0.5, stratify=digits.target, random_state=SPLIT_SEED
    )
    index = np.sort(train if split == "train" else test)
    return one_class_split(
        lambda i: Image.fromarray(pixels[index[i]]), digits.target[index], normal, split, image_size, normalize=False
    )


def source_files() -> list[Path]:
    """The CSV scikit-learn reads the digits from (fingerprinted by the cache)."""
    import sklearn.datasets

    return [Path(sklearn.datasets.__file__).parent / "data" / "digits.csv.gz"]
