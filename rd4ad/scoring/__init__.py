"""Anomaly scoring (Eq. 3): per-level maps, level subsets (Table 7), Gaussian smoothing, image scores.

Imports: ``rd4ad.files``.
"""

from rd4ad.scoring.anomaly_map import (HEADLINE, LEVEL_SUBSETS, REDUCTIONS, image_scores, level_maps, subset_maps,
                                       subset_scores)
from rd4ad.scoring.smoothing import gaussian_kernel1d, gaussian_smooth

__all__ = ["HEADLINE", "LEVEL_SUBSETS", "REDUCTIONS", "gaussian_kernel1d", "gaussian_smooth", "image_scores",
           "level_maps", "subset_maps", "subset_scores"]
