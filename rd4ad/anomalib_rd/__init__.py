"""anomalib's Reverse Distillation as a run's ``implementation: anomalib``: its model
(``ReverseDistillation``) trained by its own Engine on the run's train split, evaluated on the
run's test split; this suite's metrics then score its anomaly maps and image scores like ours.
anomalib is an optional extra (``availability``): nothing here imports it before a run asks.

Imports: ``rd4ad.files``, ``rd4ad.contract``, ``rd4ad.data``, ``rd4ad.models``, ``rd4ad.machine``,
``rd4ad.scoring``, ``rd4ad.builders``, ``rd4ad.evaluation`` (the suite's metrics and result files).
"""
