"""Datasets: downloads with checksums, safe extraction, MVTec loader/validator, novelty splits,
the synthetic MVTec-format set and the digits novelty set (docs/architecture.md "Data contract");
beyond the paper, VisA, MVTec LOCO AD, MVTec AD 2 and one's own images (``folder``).

The names below load their module (and torch) on first use (``lazy_loader``), so that
``rd4ad.data.choices`` is read at planning time without torch.

Imports: ``rd4ad.files``.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "arrays": ["SplitArrays"],
        "load": ["LOADERS", "load_split"],
    },
)
