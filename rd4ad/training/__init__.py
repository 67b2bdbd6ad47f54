"""Training RD4AD: the loop, with per-epoch resume checkpoints and the every-N-epochs test audit.

Imports: ``rd4ad.files``, ``rd4ad.machine``, ``rd4ad.data``, ``rd4ad.models``, ``rd4ad.scoring``,
``rd4ad.contract``, ``rd4ad.builders``, ``rd4ad.evaluation``.
"""
