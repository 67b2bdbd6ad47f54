"""Preflight: what will break before a workflow runs (``checks``), for ``python -m rd4ad doctor``.

Imports: ``rd4ad.files``, ``rd4ad.contract``, ``rd4ad.data``, ``rd4ad.machine``, ``rd4ad.models``,
``rd4ad.implementations``, ``rd4ad.planning``.
"""
