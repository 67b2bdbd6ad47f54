"""Results trees read into frames and compared, shared by the report, the drift check and ``compare``:
``tree.py`` reads a results tree, ``frames.py`` shapes its runs, ``comparisons.py`` compares two variants.

Imports: ``rd4ad.files``, ``rd4ad.contract``, ``rd4ad.published``, ``rd4ad.statistics``, ``rd4ad.planning``,
``rd4ad.machine`` (how a run's hardware record reads).
"""
