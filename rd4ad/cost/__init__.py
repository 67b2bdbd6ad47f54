"""What the planned runs will cost and did cost: timings of each run shape with synthetic tensors
(``timing``), their FLOPs (``flops``), the CPU's FLOP model (``cpu_model``), the evaluation's CPU time
(``evaluation_time``), per-run estimates and their summary per table (``estimate``), the rules'
benchmark files (``actual``) and a job's scheduler time limit (``runtime``).

Imports: ``rd4ad.files``, ``rd4ad.contract``, ``rd4ad.data``, ``rd4ad.machine``, ``rd4ad.models``,
``rd4ad.evaluation`` (the inference batch, the metrics), ``rd4ad.scoring``, ``rd4ad.planning``,
``rd4ad.implementations`` (the precision each is priced at).
"""
