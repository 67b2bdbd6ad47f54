"""Statistics of the suite's numbers: over seeds (spread, prediction interval, verdict, seeds needed)
and over a test set (bootstrap intervals of image AUROC, pixel AUROC and AUPRO).

Imports: ``rd4ad.files``, ``rd4ad.metrics``.
"""
