"""anomalib's implementation (``implementation: anomalib``, the optional extra): its ReverseDistillation
with the run's teacher, trained by its own Engine (rd4ad/anomalib_rd/). It takes the run's epochs,
batch_size, image_size, backbone, teacher and seed, fixes Adam(lr=0.005, betas=(0.5, 0.99)) and has no
switch for the other knobs. A training step is priced as this suite's model in fp32: the same network,
and its Engine trains in fp32."""

from __future__ import annotations

from rd4ad.anomalib_rd.availability import INSTALL, TESTED_VERSION, anomalib_version
from rd4ad.implementations.strategy import Extra, Implementation

TAKES = ("implementation", "backbone", "image_size", "epochs", "batch_size", "teacher_weights")
LR = 0.005  # anomalib's ReverseDistillation.configure_optimizers


def _build(run, cache_dir=None, train=None):
    from rd4ad.anomalib_rd.model import build_anomalib_rd  # anomalib: loaded only for its runs

    return build_anomalib_rd(run, cache_dir, train)


def _train(run, folder, device, *, cache_dir=None, numerics="native", **loop_options):
    """``loop_options`` (compile, resume checkpoints, epoch hook) belong to the suite's loop: its Engine has none."""
    from rd4ad.anomalib_rd.train import train_anomalib_run

    return train_anomalib_run(run, folder, device, cache_dir=cache_dir, numerics=numerics)


def _evaluate(folder, ckpt, device, **options) -> dict:
    from rd4ad.anomalib_rd.evaluate import evaluate_anomalib_run

    return evaluate_anomalib_run(folder, ckpt, device, **options)


def _weights(ckpt: dict) -> dict | None:
    own = ckpt.get("anomalib")
    return own.get("state_dict", {}) if isinstance(own, dict) else None


ANOMALIB = Implementation(
    name="anomalib",
    model="anomalib's ReverseDistillation",
    build=_build,
    train=_train,
    weights=_weights,
    evaluate=_evaluate,
    timed_precision=lambda run: "fp32",
    resumes=False,
    takes=TAKES,
    fixed={"lr": LR},
    extra=Extra("anomalib", anomalib_version, TESTED_VERSION, INSTALL),
)
