"""What produced a table, said in its caption: the teachers and precision of its runs and, for Table 3,
the devices.

The paper distils from ImageNet-trained teachers, trains and tests in fp32 (§4.1) and times its
detector on an Intel i7 CPU (§4.2, Table 3); a reproduction with other teachers, in bf16 or timed
on a GPU must say so where the numbers are.
"""

from __future__ import annotations

import pandas as pd

from rd4ad.machine.precision import LABELS as PRECISION_LABELS
from rd4ad.models.teachers import resolve_teacher
from rd4ad.planning.plan import Plan
from rd4ad.published.metrics import COMPLEXITY_METRICS
from rd4ad.published.tables import TableSpec

PAPER_DEVICE = "an Intel i7 CPU"


def teachers_line(plan: Plan, variants: set[str] | None = None) -> str:
    """The teachers the planned runs (of ``variants``; all when None) distil from, e.g.
    ``resnet18 (random init, BatchNorm statistics calibrated on …)``."""
    kinds = sorted(
        {
            (p.run.backbone, p.run.teacher_weights)
            for p in plan.runs.values()
            if variants is None or p.run.variant in variants
        }
    )
    return (
        "; ".join(f"{backbone} ({resolve_teacher(weights).label})" for backbone, weights in kinds) or "no runs planned"
    )


def table_precision(plan: Plan, spec: TableSpec) -> str:
    """The precision(s) of the planned runs that fill a table, e.g. "bf16 autocast, fp32 weights"."""
    variants = spec.variants
    precisions = sorted({p.run.precision for p in plan.runs.values() if p.run.variant in variants})
    return " / ".join(PRECISION_LABELS[p] for p in precisions) or "no runs planned"


def _device_figures(rows: pd.DataFrame) -> str:
    by_metric = dict(zip(rows["metric"], rows["value"]))
    return (
        f"{rows['device'].iloc[0]}: {by_metric.get('infer_s', float('nan')):.3g} s/image, "
        f"{by_metric.get('memory_mb', float('nan')):.0f} MB ({rows['memory_measure'].iloc[0]})"
    )


def timing_devices(spec: TableSpec, complexity: pd.DataFrame) -> str:
    """For a table with time / memory columns (Table 3): the CPU that the compared figures come from
    and the GPU figures shown beside them (no delta: the paper timed a CPU); "" for other tables."""
    if not set(COMPLEXITY_METRICS) & set(spec.metrics):
        return ""
    mine = complexity[complexity["variant"].isin(spec.variants) & complexity["dataset"].isin(spec.datasets)]
    cpu, gpu = mine[mine["processor"] == "cpu"], mine[mine["processor"] == "gpu"]
    text = (
        f"Time and memory measured on the CPU, {_device_figures(cpu)}, compared with the paper's "
        f"({PAPER_DEVICE}, §4.2)."
        if len(cpu)
        else "Time and memory: not measured yet."
    )
    return text + (
        f" On the GPU, shown without a delta: {_device_figures(gpu)}."
        if len(gpu)
        else " No GPU was timed (the measuring machine had none)."
    )


def table_caption(plan: Plan, spec: TableSpec, complexity: pd.DataFrame) -> str:
    """The caption line under a table's title: precision and teachers, and the timing devices where it has timings."""
    devices = timing_devices(spec, complexity)
    return f"Precision of the runs: {table_precision(plan, spec)}. Teachers: {teachers_line(plan, spec.variants)}." + (
        f" {devices}" if devices else ""
    )
