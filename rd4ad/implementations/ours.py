"""This suite's implementation (``implementation: rd4ad``): the public code's RD4AD, or the run's own
``model`` factory, trained by the suite's resumable loop (rd4ad/training/loop.py) and scored level by
level (rd4ad/evaluation/evaluate.py)."""

from __future__ import annotations

from rd4ad.builders.model import build_model
from rd4ad.implementations.strategy import Implementation


def _train(run, folder, device, **options):
    from rd4ad.training.loop import train_run  # torch: not loaded by planning

    return train_run(run, folder, device, **options)


def _evaluate(folder, ckpt, device, **options) -> dict:
    from rd4ad.evaluation.evaluate import evaluate_suite_run  # torch: not loaded by planning

    return evaluate_suite_run(folder, ckpt, device, **options)


OURS = Implementation(
    name="rd4ad",
    model="this suite's RD4AD",
    build=build_model,
    train=_train,
    weights=lambda ckpt: ckpt.get("student"),
    evaluate=_evaluate,
    timed_precision=lambda run: run.precision,
    resumes=True,
)
