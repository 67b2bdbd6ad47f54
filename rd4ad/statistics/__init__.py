"""Statistics of the suite's numbers: over seeds (spread, prediction interval, verdict, seeds needed),
over a test set (bootstrap intervals of image AUROC, pixel AUROC and AUPRO) and between two variants
(paired Δ, sign-flip test, Holm across metrics, verdict, detectable Δ, the measured error rates).

Imports: ``rd4ad.files``, ``rd4ad.metrics``.
"""
