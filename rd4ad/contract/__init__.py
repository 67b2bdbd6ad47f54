"""The run contract: one run's knobs and their checks (``RunConfig``), where each file of a run
lives, the digests of its inputs.

Imports: ``rd4ad.files``, ``rd4ad.machine``, ``rd4ad.data``, ``rd4ad.models``, ``rd4ad.scoring``.
"""
