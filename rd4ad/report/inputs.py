"""Runs that should share an input but were made from different content.

Every run of one data split (loader, data root, category, image size, protocol) must have seen
the same decoded images, and every run of one teacher (backbone, weights, bottleneck; for a
``random_calibrated`` teacher also the training split it was calibrated on) the same frozen tensors:
their digests (``rd4ad/contract/fingerprints.py``, recorded in ``metrics.json``) must agree. When they
do not — a dataset replaced by another version half-way through, other teacher
files — the tables compare numbers that were not produced the same way, and the report says
which runs to retrain. Runs that recorded no digests are left out.
"""

from __future__ import annotations

import pandas as pd

from rd4ad.models.teachers import resolve_teacher

DATA_FIELDS = ("loader", "data_root", "category", "image_size", "protocol")
CALIBRATED_ON = "calibrated on"  # a random_calibrated teacher's training split; "" for the other teachers
SHARED = {  # digest → (label, the run fields whose runs must agree on it)
    "train_data": ("training data", DATA_FIELDS),
    "test_data": ("test data", DATA_FIELDS),
    "teacher": ("teacher", ("backbone", "teacher_weights", "bottleneck", CALIBRATED_ON)),
}
FIELDS = tuple(dict.fromkeys(f for _, fields in SHARED.values() for f in fields if f != CALIBRATED_ON))
MIXED_COLUMNS = ["input", "shared by", "digest", "runs", "count"]
SHOWN_RUNS = 3


def mixed_inputs(inputs: pd.DataFrame) -> pd.DataFrame:
    """One row per digest of every input that differs among runs that should share it (``inputs``:
    ``rd4ad.results.tree.collect_inputs`` with :data:`FIELDS`); the majority digest of a group first."""
    if inputs.empty:
        return pd.DataFrame(columns=MIXED_COLUMNS)
    calibrated = inputs["teacher_weights"].map(lambda value: resolve_teacher(value).calibrated).astype(bool)
    inputs = inputs.assign(
        **{CALIBRATED_ON: inputs[list(DATA_FIELDS)].astype(str).agg(" ".join, axis=1).where(calibrated, "")}
    )
    rows = []
    for digest, (label, fields) in SHARED.items():
        if digest not in inputs:
            continue
        known = inputs.dropna(subset=[digest])
        for group, runs in known.groupby(list(fields), sort=True, dropna=False):
            counts = runs[digest].value_counts(sort=True)
            if len(counts) < 2:
                continue
            shared_by = ", ".join(f"{f}={v}" for f, v in zip(fields, group) if v not in ("", "{}", None))
            for value in counts.index:
                names = sorted(runs.loc[runs[digest] == value, "run"])
                rows.append(
                    {
                        "input": label,
                        "shared by": shared_by,
                        "digest": f"{value[:12]}…",
                        "runs": ", ".join(names[:SHOWN_RUNS]) + (" …" if len(names) > SHOWN_RUNS else ""),
                        "count": len(names),
                    }
                )
    return pd.DataFrame(rows, columns=MIXED_COLUMNS)
