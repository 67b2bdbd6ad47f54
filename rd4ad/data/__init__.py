"""Datasets: downloads with checksums, safe extraction, MVTec loader/validator, novelty splits,
the synthetic MVTec-format set and the digits novelty set (docs/architecture.md "Data contract").

Imports: ``rd4ad.files``.
"""

from rd4ad.data.arrays import SplitArrays
from rd4ad.data.load import LOADERS, load_split

__all__ = ["LOADERS", "SplitArrays", "load_split"]
