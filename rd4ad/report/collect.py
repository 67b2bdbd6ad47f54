"""The report's first step: everything it shows, read once from a plan and the run folders beside it.

``collect`` reads the published numbers, the runs' metrics, intervals, Table 3 measurements, audit logs,
anomalib's own metrics, the input digests, the logs of unfinished runs, the jobs' benchmark files, what the
figures show (scores, examples, loss logs: rd4ad/report/figure_inputs.py) and the report machine
(rd4ad/report/environment.py), and derives the table cells (``rd4ad.report.aggregate``). Nothing is written,
and nothing is read after it: the next steps build the page model from the ``ReportInputs``
(rd4ad/report/sections.py) and write its files (rd4ad/report/write.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from rd4ad.contract.layout import RunKey
from rd4ad.planning.plan import ComparisonPair, Plan
from rd4ad.published import load_published
from rd4ad.report.aggregate import build_cells, configured_rows, run_progress
from rd4ad.report.audit import AuditComparison, audit_comparisons
from rd4ad.report.beyond import beyond_values
from rd4ad.report.cell_labels import label_cells, published_notes
from rd4ad.report.cost import cost_frame
from rd4ad.report.environment import environment
from rd4ad.report.exports import tidy_cells
from rd4ad.report.failures import run_failures
from rd4ad.report.figure_inputs import Examples, read_figure_files
from rd4ad.report.inputs import FIELDS, mixed_inputs
from rd4ad.report.setups import setup_columns
from rd4ad.results.comparisons import Comparison, plan_comparisons
from rd4ad.results.tree import (
    RUN_KEYS,
    collect_anomalib_metrics,
    collect_anomaly_kinds,
    collect_complexity,
    collect_csv,
    collect_inputs,
    collect_intervals,
    collect_runs,
)


@dataclass(frozen=True)
class ReportInputs:
    """What one report shows, as read from the plan's results (frames as the collectors return them)."""

    plan: Plan
    published: pd.DataFrame  # rd4ad.published.load_published()
    runs: pd.DataFrame  # every run's metrics (fractions): collect_runs
    complexity: pd.DataFrame  # Table 3 measurements: collect_complexity
    cells: pd.DataFrame  # every cell of every declared table, with its row / column labels and setup
    tidy: pd.DataFrame  # the cells as exported (tidy_cells)
    progress: pd.DataFrame  # every planned run and whether it is done (run_progress)
    failures: pd.DataFrame  # the unfinished runs and what their logs say (run_failures)
    mixed: pd.DataFrame  # runs made from different inputs (mixed_inputs)
    audit: list[AuditComparison]
    comparisons: list[tuple[ComparisonPair, Comparison]]  # the plan's paired comparisons (plan_comparisons)
    anomalib: pd.DataFrame  # anomalib's own metrics of its runs (collect_anomalib_metrics)
    demo: bool  # demo numbers: labelled DEMO everywhere, never compared with a published one
    names: dict[str, str]  # table key → its printed name
    notes: dict[tuple, str]  # paper-internal inconsistencies by printed cell (published_notes)
    cost: pd.DataFrame  # device time per table from the jobs' benchmark files (cost_frame)
    environment: dict[str, str]  # the report machine and the runs' devices, label → value (environment)
    scores: dict[str, pd.DataFrame]  # per dataset: the headline runs' image scores (category, label, score)
    examples: dict[str, Examples]  # per dataset: the headline runs' anomaly-map examples (pixel-level datasets)
    losses: pd.DataFrame  # every run's loss log, run keys prepended (collect_csv "loss")
    beyond: pd.DataFrame  # the config's `beyond:` runs: values and test-set intervals in percent (beyond_values)


def collect(plan: Plan) -> ReportInputs:
    """Read the plan's results and the published numbers; derive the cells."""
    results = plan.results
    published = load_published()
    runs = collect_runs(results)
    complexity = collect_complexity(results)
    intervals = collect_intervals(results)
    demo = plan.demo or bool(runs["demo"].any())  # demo runs are labelled whatever the config says
    cells = label_cells(plan, build_cells(plan, runs, complexity, published, intervals, comparable=not demo))
    if demo:
        cells = configured_rows(plan, cells)
    cells = cells.join(setup_columns(plan, cells["variant"]).drop(columns="variant"))
    progress = run_progress(plan, runs)
    missing = progress[~progress["done"]]
    failures = run_failures(results, [RunKey(*k) for k in missing[RUN_KEYS].itertuples(index=False)])
    if not failures["slurm_log"].any():
        failures = failures.drop(columns="slurm_log")  # not run under SLURM
    names = {key: spec.name for key, spec in plan.tables.items()}
    scores, examples = read_figure_files(plan, runs)
    return ReportInputs(
        plan=plan,
        published=published,
        runs=runs,
        complexity=complexity,
        cells=cells,
        tidy=tidy_cells(cells),
        progress=progress,
        failures=failures,
        mixed=mixed_inputs(collect_inputs(results, FIELDS)),
        audit=audit_comparisons(plan, runs, collect_csv(results, "audit_epochs")),
        comparisons=plan_comparisons(plan, runs),
        anomalib=collect_anomalib_metrics(results),
        demo=demo,
        names=names,
        notes=published_notes(published, names),
        cost=cost_frame(plan),
        environment=environment(plan, runs, complexity),
        scores=scores,
        examples=examples,
        losses=collect_csv(results, "loss"),
        beyond=beyond_values(plan, runs, collect_anomaly_kinds(results), intervals),
    )
