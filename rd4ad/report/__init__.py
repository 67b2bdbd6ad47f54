"""The HTML report: the paper's tables as data, aggregation, figures, exports, protocol audit.

``build_report(plan, out)`` reads the plan file and the results tree beside it and writes
``out`` with its figures and exports (CSV, LaTeX, Markdown summary) beside it; see
``python -m rd4ad report --help``.

Imports: ``rd4ad.results`` (results trees, frames, comparisons), ``rd4ad.files``, ``rd4ad.machine``,
``rd4ad.contract``, ``rd4ad.published``, ``rd4ad.statistics``, ``rd4ad.planning`` (the plan file, never the
planner or Snakemake), ``rd4ad.cost`` (the benchmark files and the estimates in the plan), ``rd4ad.models``
(the teacher resolver, ``models/teachers.py``), ``rd4ad.evaluation`` (the kinds of anomaly scored apart,
``evaluation/anomaly_types.py``).
"""

from rd4ad.report.build import build_report

__all__ = ["build_report"]
