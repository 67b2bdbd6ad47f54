"""What the planned runs will cost and did cost: timings of each run shape with synthetic tensors
(``timing``), per-run estimates and their summary per table (``estimate``), the rules' benchmark
files (``actual``) and a job's scheduler time limit (``runtime``).

Imports: ``rd4ad.files``, ``rd4ad.contract``, ``rd4ad.data``, ``rd4ad.machine``, ``rd4ad.models``,
``rd4ad.evaluation`` (the inference batch), ``rd4ad.planning``.
"""
