"""Whose model and training loop a run uses (its ``implementation`` knob), as one strategy each:
this suite's RD4AD and loop (``ours``) and anomalib's ReverseDistillation trained by its Engine
(``anomalib``, an optional extra). An ``Implementation`` (``strategy``) owns what differs between
them: the knobs it takes, the extra it needs, how it builds, trains, evaluates and is priced;
``registry.implementation_of(run)`` gives a run's. Every reader asks it, none compares the name.
Its modules load torch, anomalib and the loops only inside the calls that need them, so planning
imports the registry without them.

Imports: ``rd4ad.files``, ``rd4ad.contract``, ``rd4ad.builders``, ``rd4ad.evaluation``,
``rd4ad.training``, ``rd4ad.anomalib_rd``.
"""
