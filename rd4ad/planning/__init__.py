"""Planning: a config and config/tables.yaml validated into the runs each table needs
(``planner``), and the plan file ``<results>/plan.json`` (``plan``, all the report reads).

Imports: ``rd4ad.files``, ``rd4ad.contract``, ``rd4ad.implementations`` (the knobs each takes, is its extra
installed), ``rd4ad.published``, ``rd4ad.training`` (checkpoint defaults).
"""
