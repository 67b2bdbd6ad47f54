"""What an implementation of RD4AD is to the suite: the members every reader asks instead of comparing
the ``implementation`` knob's value."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rd4ad.contract.run import RunConfig, knobs
from rd4ad.files.errors import RD4ADError


@dataclass(frozen=True)
class Extra:
    """An optional extra an implementation needs installed."""

    name: str  # the distribution, and the preflight check's name
    version: Callable[[], str | None]  # the installed release, or None
    tested: str  # the release the suite is tested with
    install: str  # the command that installs it


@dataclass(frozen=True, eq=False)
class Implementation:
    """One implementation (one instance each, compared by identity): its knobs, its extra, and how it
    builds, trains, evaluates and is priced.

    ``build(run, cache_dir, train)``: the model (``train``: the training split, when loaded already).
    ``train(run, folder, device, *, cache_dir, numerics, compile, checkpoint_minutes, on_epoch_end)``:
    fits it and writes ``loss.csv`` and ``model.pt``; the model path (the last three: a loop that resumes).
    ``weights(ckpt)``: the trained state dict a ``model.pt`` holds (None: it holds none).
    ``evaluate(folder, ckpt, device, *, batch_size, cache_dir, numerics, fast_on_cpu, start)``: scores the
    trained model of ``ckpt`` on the test split, writes the run's result files; ``metrics.json``'s dict.
    ``timed_precision(run)``: the precision a training step of ``run`` is priced at (rd4ad/cost/shape.py).
    """

    name: str  # the ``implementation`` knob's value (rd4ad/models/choices.py)
    model: str  # whose network, as messages name it
    build: Callable
    train: Callable[..., Path]
    weights: Callable[[dict], dict | None]
    evaluate: Callable[..., dict]
    timed_precision: Callable[[RunConfig], str]
    resumes: bool  # its loop writes resume checkpoints (a run held after an epoch resumes from one)
    takes: tuple[str, ...] | None = None  # the knobs a variant may set (None: all); the others keep their defaults
    fixed: Mapping[str, object] = field(default_factory=dict)  # knobs it fixes: the value a variant must give
    extra: Extra | None = None

    def check_knobs(self, run: RunConfig) -> None:
        """One ``RD4ADError`` when ``run`` sets a knob this implementation fixes or has no switch for."""
        for name, value in self.fixed.items():
            if getattr(run, name) != value:
                raise RD4ADError(
                    f"variant {run.variant!r}: implementation {self.name} trains with {self.name}'s fixed "
                    f"{name} {value}; set {name}: {value} (got {getattr(run, name)})"
                )
        if self.takes is None:
            return
        for f in knobs():
            if f.name not in self.takes + tuple(self.fixed) and getattr(run, f.name) != f.default:
                raise RD4ADError(
                    f"variant {run.variant!r}: implementation {self.name} has no switch for "
                    f"{f.name} ({self.model} fixes it); remove {f.name}: {getattr(run, f.name)!r} from the variant"
                )

    def require_extra(self, where: str) -> None:
        """One clear error naming ``where`` and the install command when its extra is not installed."""
        if self.extra is not None and self.extra.version() is None:
            raise RD4ADError(
                f"{where}: a variant sets implementation: {self.name}, but {self.extra.name} is not installed; "
                f"install the extra with `{self.extra.install}` ({self.extra.name} {self.extra.tested}), "
                "or remove those variants"
            )
