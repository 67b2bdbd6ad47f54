"""Pin one job to one free GPU slot: a non-blocking ``fcntl.flock`` on one lock file per slot.

Snakemake's ``gpu`` resource only counts jobs; it does not say which device a job gets
(snakemake issue #281). Each training/evaluation job therefore takes the first GPU whose
lock file it can lock and exports ``CUDA_VISIBLE_DEVICES`` to that GPU alone, so
``--device auto`` lands on it. ``--jobs-per-gpu K`` gives each GPU K slots (small models such as
the novelty ResNet18 at 32 px are bound by kernel launches, not by the GPU; K processes
overlap their launches); slots fill GPU by GPU's first share before any second share. The OS
releases a flock when its process dies, so a killed job never leaves a slot taken. The lock files live
in a node-local folder
(``$RD4AD_GPU_LOCK_DIR``, default ``<tmp>/rd4ad-gpu-slots``) shared by every workflow on the machine.

Used by the Snakemake rules as a wrapper that execs the job with the lock held::

    python -m rd4ad.machine.gpu_slots -- python -m rd4ad train ...

No GPU visible (``CUDA_VISIBLE_DEVICES`` empty, or no ``nvidia-smi``): the command runs
unchanged on the CPU. A job given a slot gets ``RD4AD_GPU_SLOT``, so that ``--device auto`` fails
in one line where CUDA cannot start rather than training on the CPU (rd4ad/machine/device.py). Under
SLURM with GPUs allocated, the scheduler already pinned the job, so no lock is taken.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rd4ad.files.errors import RD4ADError
from rd4ad.files.joblog import PREAMBLE_ENV

LOCK_DIR_ENV = "RD4AD_GPU_LOCK_DIR"
SCHEDULER_GPU_ENV = ("SLURM_JOB_GPUS", "SLURM_STEP_GPUS")
SLOT_ENV = "RD4AD_GPU_SLOT"  # set to the GPU's id for the job: --device auto then fails without CUDA


def _say(line: str) -> None:
    """Where the job runs: on stderr, and handed to the job's own log (``--log``) as its first line."""
    print(line, file=sys.stderr, flush=True)
    os.environ[PREAMBLE_ENV] = line


def default_lock_dir() -> Path:
    """``$RD4AD_GPU_LOCK_DIR`` or ``<tmp>/rd4ad-gpu-slots`` (node-local: flock is unreliable on NFS)."""
    return Path(os.environ.get(LOCK_DIR_ENV) or Path(tempfile.gettempdir()) / "rd4ad-gpu-slots")


def visible_gpus() -> list[str]:
    """Ids of the GPUs this process may use: ``CUDA_VISIBLE_DEVICES`` when set, else ``nvidia-smi -L``."""
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        ids = [g.strip() for g in listed.split(",") if g.strip()]
        return [] if ids[:1] == ["-1"] else ids
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    out = subprocess.run([smi, "-L"], capture_output=True, text=True, check=False).stdout
    n = sum(line.startswith("GPU ") for line in out.splitlines())
    return [str(i) for i in range(n)]


def _try_lock(path: Path) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.set_inheritable(fd, True)
    return fd


@contextmanager
def acquire_gpu_slot(
    lock_dir: str | os.PathLike,
    n_gpus: int,
    gpu_ids: list[str] | None = None,
    poll_seconds: float = 0.5,
    timeout_seconds: float | None = None,
    jobs_per_gpu: int = 1,
) -> Iterator[int | None]:
    """Hold the first free slot of ``n_gpus`` × ``jobs_per_gpu`` and yield its index (``None`` when ``n_gpus`` is 0).

    Slot ``share · n_gpus + i`` is share ``share`` of GPU ``gpu_ids[i]`` (default ids
    ``0 … n_gpus-1``), locked through ``<lock_dir>/gpu<id>.lock`` (share 0) or
    ``gpu<id>.<share>.lock``; ``CUDA_VISIBLE_DEVICES`` is set to that id while the slot is
    held. When every slot is taken, polls every ``poll_seconds`` and raises ``RD4ADError``
    after ``timeout_seconds``. The lock fd is inheritable, so a command exec'd or spawned
    inside keeps the slot until it exits.
    """
    if n_gpus == 0:
        yield None
        return
    ids = list(gpu_ids) if gpu_ids is not None else [str(i) for i in range(n_gpus)]
    if len(ids) != n_gpus:
        raise RD4ADError(f"gpu slots: {n_gpus} GPUs requested but {len(ids)} ids given ({ids})")
    if jobs_per_gpu < 1:
        raise RD4ADError(f"gpu slots: jobs_per_gpu = {jobs_per_gpu}; give 1 or more jobs per GPU")
    slots = [
        (gpu, f"gpu{gpu}.lock" if share == 0 else f"gpu{gpu}.{share}.lock")
        for share in range(jobs_per_gpu)
        for gpu in ids
    ]
    folder = Path(lock_dir)
    folder.mkdir(parents=True, exist_ok=True)
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    while True:
        for slot, (gpu, name) in enumerate(slots):  # noqa: B007 (the slot taken is read after the break)
            fd = _try_lock(folder / name)
            if fd is not None:
                break
        else:
            if deadline is not None and time.monotonic() >= deadline:
                raise RD4ADError(
                    f"gpu slots: all {len(slots)} GPU lock files in {folder} stayed taken for "
                    f"{timeout_seconds} s; lower --resources gpu=N to GPUs × jobs per GPU"
                )
            time.sleep(poll_seconds)
            continue
        break
    previous = os.environ.get("CUDA_VISIBLE_DEVICES")
    os.environ["CUDA_VISIBLE_DEVICES"] = gpu
    try:
        yield slot
    finally:
        if previous is None:
            os.environ.pop("CUDA_VISIBLE_DEVICES", None)
        else:
            os.environ["CUDA_VISIBLE_DEVICES"] = previous
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def main(argv: list[str] | None = None) -> int:
    """``python -m rd4ad.machine.gpu_slots [--lock-dir D] [--gpus 0,1] -- CMD …``: exec CMD on a free GPU.

    ``--count`` prints the number of visible GPUs instead (scripts/run_demo.sh sizes the cap with it).
    """
    parser = argparse.ArgumentParser(
        prog="python -m rd4ad.machine.gpu_slots",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--lock-dir", default=None, help=f"lock folder (default ${LOCK_DIR_ENV} or <tmp>/rd4ad-gpu-slots)"
    )
    parser.add_argument("--gpus", default=None, help="comma-separated GPU ids to share (default: the visible GPUs)")
    parser.add_argument("--jobs-per-gpu", type=int, default=1, help="slots per GPU (default 1)")
    parser.add_argument("--count", action="store_true", help="print the number of visible GPUs and exit")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, after --")
    args = parser.parse_args(argv)
    if args.count:
        print(len(visible_gpus()))
        return 0
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    pinned = {k: os.environ[k] for k in SCHEDULER_GPU_ENV if os.environ.get(k)}
    if pinned:
        given = ", ".join(f"{k}={v}" for k, v in pinned.items())
        _say(
            f"gpu_slots: the scheduler pinned this job ({given}, "
            f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', '')}); no lock taken"
        )
    ids = [] if pinned else ([g for g in args.gpus.split(",") if g] if args.gpus is not None else visible_gpus())
    try:
        with acquire_gpu_slot(
            args.lock_dir or default_lock_dir(), len(ids), ids, jobs_per_gpu=args.jobs_per_gpu
        ) as slot:
            if slot is not None:
                os.environ[SLOT_ENV] = ids[slot % len(ids)]
                _say(f"gpu_slots: running on GPU {ids[slot % len(ids)]} (slot {slot})")
            os.execvp(command[0], command)
    except RD4ADError as err:
        print(f"rd4ad gpu_slots: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"rd4ad gpu_slots: error: cannot run {command[0]!r} ({err})", file=sys.stderr)
        return 127


if __name__ == "__main__":
    raise SystemExit(main())
