"""The HTML report (issue 5): the paper's tables as data, aggregation, figures, protocol audit.

``build_report(config, results, out)`` reads the run configuration and the results tree
and writes ``out`` with its figures beside it; see ``python -m rd4ad report --help``.
"""

from rd4ad.report.build import build_report

__all__ = ["build_report"]
