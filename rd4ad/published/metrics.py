"""The metric vocabulary, declared once: each metric's key (in ``metrics.json`` and ``paper.csv``), its
header label, whether it is a fraction printed in percent, the paper metric it is printed as, its long
text, and whether the report gives it a test-set interval.

Two measures print the paper's PRO (Table 2): the exact dataset-level AUPRO (``pro``) and the public
code's per-image PRO (``pro_public``); the config's ``pro_reproduction`` picks the one counted against
the published number (``PRO_MEASURES``). A third, anomalib ≤ 2.2's AUPRO (``pro_anomalib22``), is
measured for the protocol audit only; it can exceed 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """One measured metric."""

    name: str  # key in metrics.json and paper.csv
    label: str  # the report's header
    percent: bool  # a fraction in metrics.json, printed × 100; else printed as measured
    printed_as: str  # the paper metric it is printed as
    text: str = ""  # what it is, in full (the report's notes); "" where the label says it
    short: str = ""  # its name where two measures print one metric
    interval: bool = False  # the report gives it a stratified-bootstrap interval over test images
    complexity: bool = False  # Table 3's measurement (python -m rd4ad complexity), not an evaluation
    at_most: float = 1.0  # the largest value metrics.json may hold (a fraction: 1)


REGISTRY: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("image_auroc", "image AUROC", True, "image_auroc", interval=True),
        Metric("pixel_auroc", "pixel AUROC", True, "pixel_auroc", interval=True),
        Metric(
            "pro",
            "PRO",
            True,
            "pro",
            text="the exact dataset-level AUPRO, FPR ≤ 0.3 (pro)",
            short="exact",
            interval=True,
        ),
        Metric(
            "pro_public",
            "per-image PRO",
            True,
            "pro",
            text="the public code's per-image PRO over 200 thresholds (pro_public)",
            short="per-image",
        ),
        Metric(
            "pro_anomalib22",
            "anomalib ≤ 2.2 AUPRO",
            True,
            "pro",
            text="anomalib ≤ 2.2's AUPRO, divided by the averaged last FPR; can exceed 100 (pro_anomalib22)",
            short="anomalib ≤ 2.2",
            at_most=math.inf,
        ),
        Metric("infer_s", "time (s/img)", False, "infer_s", complexity=True),
        Metric("memory_mb", "memory (MB)", False, "memory_mb", complexity=True),
    )
}
PAPER_METRICS = tuple(name for name, m in REGISTRY.items() if m.printed_as == name)  # paper.csv's vocabulary
PERCENT_METRICS = tuple(name for name in PAPER_METRICS if REGISTRY[name].percent)
COMPLEXITY_METRICS = tuple(name for name, m in REGISTRY.items() if m.complexity)
INTERVAL_METRICS = tuple(name for name, m in REGISTRY.items() if m.interval)
PRO_MEASURES = {"public": "pro_public", "exact": "pro"}  # config `pro_reproduction` → metrics.json key


def label(name: str) -> str:
    """The header label of metric ``name`` (the name itself for one not in the registry)."""
    return REGISTRY[name].label if name in REGISTRY else name
