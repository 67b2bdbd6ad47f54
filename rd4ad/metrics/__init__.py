"""Metrics of the paper (fractions in [0, 1]): image/pixel AUROC, exact AUPRO, the public code's PRO;
anomalib ≤ 2.2's AUPRO (can exceed 1).

Imports: ``rd4ad.files``.
"""

from rd4ad.metrics.auroc import image_auroc, pixel_auroc
from rd4ad.metrics.pro import aupro, label_regions, pro_curve
from rd4ad.metrics.pro_anomalib22 import pro_anomalib22
from rd4ad.metrics.pro_public import pro_public

__all__ = ["aupro", "image_auroc", "label_regions", "pixel_auroc", "pro_anomalib22", "pro_curve", "pro_public"]
