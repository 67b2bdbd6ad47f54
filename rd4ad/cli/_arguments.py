"""Value types of the CLI's arguments: a bad value is argparse's one-line usage error naming the
flag (``--device banana``, ``--batch-size 0``, ``--tol nan``), never a traceback later on."""

from __future__ import annotations

import argparse
import math


def positive_int(text: str) -> int:
    """An integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give an integer >= 1")
    return value


def non_negative_int(text: str) -> int:
    """An integer >= 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give an integer >= 0")
    return value


def non_negative_float(text: str) -> float:
    """A finite number >= 0."""
    value = float(text)
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text!r}: give a finite number >= 0")
    return value


def device_name(text: str) -> str:
    """``auto`` or a device torch can parse (``cpu``, ``cuda``, ``cuda:1``, …)."""
    import torch

    if text != "auto":
        try:
            torch.device(text)
        except (RuntimeError, ValueError) as err:
            raise argparse.ArgumentTypeError(f"{text!r} is not a device; use auto, cpu, cuda or cuda:N") from err
    return text
