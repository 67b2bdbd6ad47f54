"""The report as a typed page model: one frozen dataclass per section of ``templates/index.html``, built from
the collected inputs by pure functions (rd4ad/report/sections.py) and written by one writer
(rd4ad/report/write.py: the page, its figures, the CSV / LaTeX exports and summary.md). The template reads
the model's attributes (``page.runs.progress_table`` …); a new section is one field here and one builder.
"""

from __future__ import annotations

from dataclasses import dataclass

from rd4ad.report.beyond import BeyondSection
from rd4ad.report.comparison_section import ComparisonsSection
from rd4ad.report.cross_implementation import CrossImplementationSection
from rd4ad.report.display import DisplayTable
from rd4ad.report.exports import TableExport
from rd4ad.report.figure_files import FigureSpec


@dataclass(frozen=True)
class Header:
    """The top of the page: its title, the demo banner and what it warns about, when it was made."""

    title: str
    demo: bool  # demo numbers: labelled DEMO everywhere, never compared with a published one
    teachers: str  # the demo banner's teachers (rd4ad/report/provenance.py)
    generated: str  # when, as printed
    unplanned: tuple[str, ...]  # run folders the plan does not hold
    below_chance: tuple[str, ...]  # demo variants under chance (rd4ad/report/chance.py)


@dataclass(frozen=True)
class TableSection:
    """One paper table on the page: its display, captions, figure (or None) and exports."""

    table: DisplayTable
    caption: str  # what produced it: precision, timing devices (rd4ad/report/provenance.py)
    setups: str  # what ran behind its settings (rd4ad/report/setups.py)
    figure: FigureSpec | None
    export: TableExport


@dataclass(frozen=True)
class VerdictsSection:
    """How the cells are judged and the counts: statuses, verdicts, mean deltas, seeds needed; for demo
    data the status counts only (``verdict_counts`` empty, no tables)."""

    status_counts: dict[str, int]
    verdict_counts: dict[str, int]
    verdict_rule: str
    verdict_marks: dict[str, str]  # verdict → the mark after a Δ
    seeds: str  # the configured seeds, as printed
    seeds_line: str  # the "add seeds" advice
    tolerance_text: str
    pro_note: str
    verdict_table: DisplayTable | None
    delta_table: DisplayTable | None


@dataclass(frozen=True)
class RunsSection:
    """The runs: progress per variant, failures, runs made from different inputs, dataset roles, device time."""

    runs_done: int
    runs_expected: int
    n_failed: int
    progress_table: DisplayTable
    roles_table: DisplayTable
    failures_table: DisplayTable | None
    mixed_table: DisplayTable | None
    cost_table: DisplayTable | None


@dataclass(frozen=True)
class EnvironmentSection:
    """Where the report and the runs were made, label → value; the plan's hash for the footer."""

    rows: dict[str, str]
    plan_hash: str


@dataclass(frozen=True)
class AuditSection:
    """The protocol audit's pair tables and the paper's own inconsistencies."""

    tables: tuple[DisplayTable, ...]
    inconsistencies: tuple[DisplayTable, ...]


@dataclass(frozen=True)
class ExportsSection:
    """The files beside the page that hold no figure: the export folder and the Markdown summary."""

    directory: str
    summary_file: str
    summary: str  # the Markdown text of ``summary_file``, also printed by the report command


@dataclass(frozen=True, eq=False)
class Page:
    """Everything the page shows and every file written beside it."""

    header: Header
    tables: tuple[TableSection, ...]
    lead_figures: tuple[FigureSpec, ...]  # right after the first table (a demo's anomaly maps)
    beyond: BeyondSection  # the config's `beyond:` datasets, after the paper's tables
    figures: tuple[FigureSpec, ...]
    verdicts: VerdictsSection
    runs: RunsSection
    environment: EnvironmentSection
    audit: AuditSection
    comparisons: ComparisonsSection
    cross_implementation: CrossImplementationSection | None
    exports: ExportsSection
    note_mark: str  # marks a published value the paper prints differently elsewhere

    def figure_specs(self) -> list[FigureSpec]:
        """Every figure the page shows, each once."""
        return [
            *(t.figure for t in self.tables if t.figure is not None),
            *self.lead_figures,
            *self.figures,
            *(c.figure for c in self.comparisons.entries if c.figure is not None),
        ]
