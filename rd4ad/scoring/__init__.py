"""Anomaly scoring (Eq. 3): per-level maps, level subsets (Table 7), Gaussian smoothing, image scores.

The names below load their module (and torch) on first use (``lazy_loader``), so that
``rd4ad.scoring.choices`` is read at planning time without torch.

Imports: ``rd4ad.files``, ``rd4ad.models`` (the feature-pair check shared with the loss), ``rd4ad.machine``
(TF32 off for the smoothing).
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "anomaly_map": [
            "HEADLINE",
            "LEVEL_SUBSETS",
            "REDUCTIONS",
            "image_scores",
            "level_maps",
            "subset_maps",
            "subset_scores",
        ],
        "smoothing": ["gaussian_kernel1d", "gaussian_smooth"],
    },
)
