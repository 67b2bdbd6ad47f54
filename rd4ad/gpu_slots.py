"""Pin one job to one free GPU: a non-blocking ``fcntl.flock`` on one lock file per GPU.

Snakemake's ``gpu`` resource only counts jobs; it does not say which device a job gets
(snakemake issue #281). Each training/evaluation job therefore takes the first GPU whose
lock file it can lock and exports ``CUDA_VISIBLE_DEVICES`` to that GPU alone, so
``--device auto`` lands on it. The OS releases a flock when its process dies, so a killed job
never leaves a slot taken. The lock files live in a node-local folder
(``$RD4AD_GPU_LOCK_DIR``, default ``<tmp>/rd4ad-gpu-slots``) shared by every workflow on the machine.

Used by the Snakemake rules as a wrapper that execs the job with the lock held::

    python -m rd4ad.gpu_slots -- python -m rd4ad train ...

No GPU visible (``CUDA_VISIBLE_DEVICES`` empty, or no ``nvidia-smi``): the command runs
unchanged on the CPU. Under SLURM with GPUs allocated, the scheduler already pinned the
job, so no lock is taken.
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
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from rd4ad.errors import RD4ADError

LOCK_DIR_ENV = "RD4AD_GPU_LOCK_DIR"
SCHEDULER_GPU_ENV = ("SLURM_JOB_GPUS", "SLURM_STEP_GPUS")


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
def acquire_gpu_slot(lock_dir: str | os.PathLike, n_gpus: int, gpu_ids: list[str] | None = None,
                     poll_seconds: float = 0.5, timeout_seconds: float | None = None) -> Iterator[int | None]:
    """Hold the first free GPU slot of ``n_gpus`` and yield its index (``None`` when ``n_gpus`` is 0).

    Slot ``i`` is GPU ``gpu_ids[i]`` (default ``0 … n_gpus-1``), locked through
    ``<lock_dir>/gpu<id>.lock``; ``CUDA_VISIBLE_DEVICES`` is set to that id while the slot is
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
    folder = Path(lock_dir)
    folder.mkdir(parents=True, exist_ok=True)
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    while True:
        for slot, gpu in enumerate(ids):
            fd = _try_lock(folder / f"gpu{gpu}.lock")
            if fd is not None:
                break
        else:
            if deadline is not None and time.monotonic() >= deadline:
                raise RD4ADError(f"gpu slots: all {n_gpus} GPU lock files in {folder} stayed taken for "
                                 f"{timeout_seconds} s; lower --resources gpu=N to the number of GPUs")
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
    """``python -m rd4ad.gpu_slots [--lock-dir D] [--gpus 0,1] -- CMD …``: exec CMD on a free GPU.

    ``--count`` prints the number of visible GPUs instead (scripts/run_demo.sh sizes the cap with it).
    """
    parser = argparse.ArgumentParser(prog="python -m rd4ad.gpu_slots", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lock-dir", default=None, help=f"lock folder (default ${LOCK_DIR_ENV} or <tmp>/rd4ad-gpu-slots)")
    parser.add_argument("--gpus", default=None, help="comma-separated GPU ids to share (default: the visible GPUs)")
    parser.add_argument("--count", action="store_true", help="print the number of visible GPUs and exit")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, after --")
    args = parser.parse_args(argv)
    if args.count:
        print(len(visible_gpus()))
        return 0
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    pinned = any(os.environ.get(k) for k in SCHEDULER_GPU_ENV)
    ids = [] if pinned else ([g for g in args.gpus.split(",") if g] if args.gpus is not None else visible_gpus())
    try:
        with acquire_gpu_slot(args.lock_dir or default_lock_dir(), len(ids), ids) as slot:
            if slot is not None:
                print(f"gpu_slots: running on GPU {ids[slot]}", file=sys.stderr, flush=True)
            os.execvp(command[0], command)
    except RD4ADError as err:
        print(f"rd4ad gpu_slots: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"rd4ad gpu_slots: error: cannot run {command[0]!r} ({err})", file=sys.stderr)
        return 127


if __name__ == "__main__":
    raise SystemExit(main())
