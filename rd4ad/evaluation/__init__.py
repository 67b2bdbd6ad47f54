"""Evaluation: checkpoint + test split → image scores, metrics for every level subset (Table 7).

Imports: ``rd4ad.files``, ``rd4ad.machine``, ``rd4ad.data``, ``rd4ad.models``, ``rd4ad.scoring``,
``rd4ad.metrics``, ``rd4ad.statistics``, ``rd4ad.contract``, ``rd4ad.builders`` (never training: Table 3 and
evaluation run without it; an ``implementation: anomalib`` run is scored by rd4ad/anomalib_rd/evaluate.py).
"""
