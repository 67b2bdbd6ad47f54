"""Evaluate a trained run: its ``model.pt`` read and checked, this suite's model scored level by level, and the
result files of either implementation: ``scores.csv``, ``examples.npz`` and ``metrics.json`` (written last) in its
folder. Which implementation evaluates a run is its strategy's (rd4ad/implementations/evaluate.py)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rd4ad.builders.model import build_model
from rd4ad.builders.split import load_split
from rd4ad.contract.fingerprints import digest, split_digest, state_digest, teacher_digest
from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.data import SplitArrays
from rd4ad.evaluation.anomaly_types import per_kind
from rd4ad.evaluation.inference import BATCH_SIZE, infer_level_maps
from rd4ad.evaluation.intervals import headline_intervals
from rd4ad.evaluation.levels import evaluate_maps
from rd4ad.files.errors import RD4ADError, UnreadableFileError
from rd4ad.files.io import atomic_write_bytes, atomic_write_json, atomic_write_text, load_checkpoint
from rd4ad.files.paths import writable_file
from rd4ad.files.temporaries import clean_stale
from rd4ad.machine.device_record import device_record
from rd4ad.machine.fast_path import fast_path
from rd4ad.machine.numerics import numerics_record
from rd4ad.machine.precision import apply_precision, precision_record
from rd4ad.scoring import HEADLINE

N_EXAMPLES = 6
RETRAIN = "delete it and train the run again (python -m rd4ad train …, or rerun snakemake)"


def read_checkpoint(model_path: str | Path) -> dict:
    """The contents of a ``model.pt`` written by ``python -m rd4ad train`` (either implementation): a dict
    with its ``run``; anything else is one clear error naming the file."""
    path = Path(model_path)
    if not path.is_file():
        raise RD4ADError(f"{path}: no such checkpoint; train the run first (python -m rd4ad train …)")
    try:
        ckpt = load_checkpoint(path)
    except UnreadableFileError as err:
        raise RD4ADError(f"{err}; {RETRAIN}") from err
    if not (isinstance(ckpt, dict) and isinstance(ckpt.get("run"), dict)):
        raise RD4ADError(f"{path}: not a model.pt written by `python -m rd4ad train` (no 'run'); {RETRAIN}")
    return ckpt


def check_weights(model_path: str | Path, state) -> None:
    """``state``, the trained weights ``model.pt`` holds (its implementation's ``weights``), is a state dict
    of finite tensors; else one clear error naming the file."""
    if not isinstance(state, dict):
        raise RD4ADError(
            f"{model_path}: not a model.pt written by `python -m rd4ad train` (no trained weights); {RETRAIN}"
        )
    bad = next(
        (
            key
            for key, value in state.items()
            if isinstance(value, torch.Tensor) and value.is_floating_point() and not torch.isfinite(value).all()
        ),
        None,
    )
    if bad is not None:
        raise RD4ADError(f"{model_path}: its weights are not finite (NaN or inf in {bad}); {RETRAIN}")


def run_of(ckpt: dict, path: Path) -> RunConfig:
    """The ``RunConfig`` a ``model.pt`` records; one clear error when it does not fit this version."""
    try:
        return RunConfig.from_dict(ckpt["run"])
    except (RD4ADError, TypeError, ValueError) as err:
        raise RD4ADError(f"{path}: its run config does not fit ({str(err).splitlines()[0][:200]}); {RETRAIN}") from err


def load_trained(
    model_path: str | Path, device: torch.device, cache_dir: str | None = None
) -> tuple[torch.nn.Module, RunConfig, dict]:
    """Rebuild the model of an ``implementation: rd4ad`` ``model.pt`` (teacher from its weights, student
    from the file); also what training recorded: ``numerics`` (CPU numerics), ``inputs`` (digests of the
    training split and teacher) and ``hardware`` (rd4ad/machine/device_record.py), each empty for files
    that predate it, and ``student``, the digest of the trained weights. A teacher whose digest differs
    from the recorded one raises: the student was distilled from another teacher."""
    ckpt = read_checkpoint(model_path)
    check_weights(model_path, ckpt.get("student"))
    return _trained(Path(model_path), ckpt, device, cache_dir)


def _trained(path: Path, ckpt: dict, device: torch.device, cache_dir: str | None):
    run = run_of(ckpt, path)
    try:
        model = build_model(run, cache_dir)
        model.load_student_state_dict(ckpt["student"])
    except (RD4ADError, TypeError, ValueError, RuntimeError, KeyError) as err:
        raise RD4ADError(
            f"{path}: its run config or weights do not fit ({str(err).splitlines()[0][:200]}); {RETRAIN}"
        ) from err
    inputs, teacher = ckpt.get("inputs", {}), teacher_digest(model)
    check_teacher(path, run, inputs.get("teacher", teacher), teacher)
    trained = {
        "numerics": ckpt.get("numerics", {}),
        "inputs": inputs,
        "hardware": ckpt.get("hardware", {}),
        "student": state_digest(ckpt["student"]),
    }
    return model.to(device).eval(), run, trained


def check_teacher(path: Path, run: RunConfig, recorded: str, now: str) -> None:
    """A teacher digest that differs from the one ``model.pt`` recorded raises: the student was
    distilled from another teacher."""
    if recorded != now:
        raise RD4ADError(
            f"{path}: trained against another teacher than the '{run.teacher_weights}' "
            f"{run.backbone} weights found now (digest {recorded[:12]}…, now {now[:12]}…); "
            f"put the original teacher weights back, or {RETRAIN}"
        )


def example_indices(labels: np.ndarray, n: int = N_EXAMPLES) -> np.ndarray:
    """A few test images for the figures: up to 2 normal, the rest anomalous, evenly spread."""
    normal, anomalous = np.flatnonzero(labels == 0), np.flatnonzero(labels == 1)
    pick_normal = normal[np.linspace(0, len(normal) - 1, min(2, len(normal))).astype(int)] if len(normal) else normal
    k = min(n - len(pick_normal), len(anomalous))
    pick_anomalous = anomalous[np.linspace(0, len(anomalous) - 1, k).astype(int)] if k else anomalous[:0]
    return np.concatenate([pick_normal, pick_anomalous])


def _examples_npz(arrays: SplitArrays, maps: torch.Tensor) -> bytes:
    idx = example_indices(arrays.labels)
    buf = io.BytesIO()
    masks = arrays.masks[idx] if arrays.masks is not None else np.zeros((len(idx),) + maps.shape[1:], np.uint8)
    np.savez_compressed(
        buf,
        images=arrays.images[idx].numpy(),
        masks=masks,
        maps=maps[idx].numpy().astype(np.float32),
        names=np.array(arrays.names)[idx],
        labels=arrays.labels[idx],
    )
    return buf.getvalue()


def open_run(folder: RunFolder) -> tuple[dict, RunConfig]:
    """The ``model.pt`` of ``folder`` and the run it records, its stale temporaries cleared; one clear
    error when it holds another run's model."""
    writable_file(folder.metrics)
    clean_stale(folder.path)
    ckpt = read_checkpoint(folder.model)
    run = run_of(ckpt, folder.model)
    if run.key != folder.key:
        raise RD4ADError(
            f"{folder.model}: holds the model of run {run.key}, not of the run folder it lies in "
            f"({folder.key}); put it back in its own folder, or {RETRAIN}"
        )
    return ckpt, run


def evaluate_suite_run(
    folder: RunFolder,
    ckpt: dict,
    device: torch.device,
    *,
    batch_size: int = BATCH_SIZE,
    cache_dir: str | None = None,
    numerics: str = "native",
    fast_on_cpu: bool = False,
    start: float,
) -> dict:
    """Evaluate the ``implementation: rd4ad`` model ``ckpt`` of ``folder`` on its run's test split, every
    level subset of Eq. 3; write the three result files there (``start``: when the evaluation began).
    ``fast_on_cpu`` runs the fast path's channels_last on CPU too (rd4ad/machine/fast_path.py)."""
    model, run, trained = _trained(folder.model, ckpt, device, cache_dir)
    arrays = load_split(run, "test", cache_dir)
    apply_precision(f"evaluate {run.key}", run.precision, device)
    maps = infer_level_maps(
        model,
        arrays,
        device,
        batch_size=batch_size,
        precision=run.precision,
        channels_last=fast_path(run.fast, device, on_cpu=fast_on_cpu),
    )
    metrics, scores, headline = evaluate_maps(maps, arrays, run.score, device, border=run.map_border)
    kinds = per_kind(run.loader, arrays, headline.numpy(), scores[HEADLINE])
    extra = {"anomaly_kinds": kinds} if kinds else {}
    return write_results(folder, run, arrays, metrics, scores, headline, trained, device, numerics, start, **extra)


def write_results(
    folder: RunFolder,
    run: RunConfig,
    arrays: SplitArrays,
    metrics: dict,
    scores: dict,
    headline: torch.Tensor,
    trained: dict,
    device: torch.device,
    numerics: str,
    start: float,
    **extra,
) -> dict:
    """``scores.csv``, ``examples.npz``, then ``metrics.json`` (last: the evaluation's declared output).

    ``metrics.json`` records the hardware (rd4ad/machine/device_record.py) and numerics of training and of
    this evaluation (``rd4ad.machine.numerics``, ``rd4ad.machine.precision``) and the digests of the run's
    inputs (``rd4ad.contract.fingerprints``): training split and teacher from ``model.pt`` (``trained``), and
    the test split evaluated here; ``extra``: an implementation's own entries."""
    table = pd.DataFrame({"name": arrays.names, "defect": arrays.defects, "label": arrays.labels, **scores})
    atomic_write_text(folder.scores, table.to_csv(index=False, float_format="%.9g"))
    atomic_write_bytes(folder.examples, _examples_npz(arrays, headline))
    result = {
        "run": run.to_dict(),
        "demo": run.demo,
        "headline": HEADLINE,
        "levels": metrics,
        "intervals": headline_intervals(arrays, scores[HEADLINE], headline),
        "n_test": int(len(arrays.labels)),
        "n_anomalous": int(arrays.labels.sum()),
        "device": str(device),
        "hardware": {"train": trained["hardware"], "evaluate": device_record(device)},
        "inputs": {**trained["inputs"], "test_data": split_digest(arrays)},
        "outputs": {"student": trained["student"], "maps": digest([headline, scores[HEADLINE]])},
        "numerics": {
            "train": trained["numerics"],
            "evaluate": {**numerics_record(numerics), **precision_record(run.precision)},
        },
        "eval_seconds": round(time.perf_counter() - start, 3),
        **extra,
    }
    atomic_write_json(folder.metrics, result)
    return result
