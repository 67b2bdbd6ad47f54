"""The preload server: run the wrapped command and fork a job for each client that connects.

It does not start where CUDA devices are visible or no Unix socket can be made: the command then
runs with plain processes, and one line on stderr says why.
"""

from __future__ import annotations

import ctypes
import glob
import importlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rd4ad.files.temporaries import pid_alive
from rd4ad.machine.preload.job import run_job
from rd4ad.machine.preload.protocol import ENV, REFUSED, send

MODULES = ("torch", "torchvision", "sklearn.metrics", "scipy.ndimage", "pandas")
NVIDIA_DEVICES = ("/dev/nvidia[0-9]*", "/proc/driver/nvidia/gpus/*")
GRACE_S = 5.0  # after a SIGTERM, how long jobs get to end before SIGKILL
FOLDER_PREFIX = "rd4ad-preload-"  # then the server's pid: rd4ad-preload-<pid>-<random>
_PR_SET_PDEATHSIG = 1
_PEERCRED = struct.Struct("3i")  # pid, uid, gid


def cuda_visible() -> bool:
    """Whether NVIDIA devices exist and ``CUDA_VISIBLE_DEVICES`` does not hide them (CUDA untouched)."""
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None and listed.split(",")[0].strip() in ("", "-1"):
        return False
    return any(glob.glob(pattern) for pattern in NVIDIA_DEVICES)


def socket_bases() -> list[str]:
    """Where a socket folder may go, preferred first: ``$TMPDIR``, the runtime folder, ``/tmp``."""
    bases = [tempfile.gettempdir(), os.environ.get("XDG_RUNTIME_DIR", ""), "/tmp"]
    return [b for i, b in enumerate(bases) if b and b not in bases[:i]]


def remove_stale_folders(base: str) -> None:
    """Remove this user's socket folders in ``base`` whose server is no longer running."""
    for folder in Path(base).glob(f"{FOLDER_PREFIX}*"):
        pid = folder.name[len(FOLDER_PREFIX) :].split("-")[0]
        try:
            if folder.stat().st_uid != os.getuid() or not pid.isdigit() or pid_alive(int(pid)):
                continue
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _listening() -> Iterator[tuple[socket.socket, str] | None]:
    """A listening socket in the first base whose path fits ``AF_UNIX``, and its path; ``None`` if none."""
    for base in socket_bases():
        remove_stale_folders(base)
        try:
            folder = tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-", dir=base)
        except OSError:
            continue
        path = os.path.join(folder, "socket")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(path)
        except OSError:  # "AF_UNIX path too long", or a folder that takes no socket
            server.close()
            shutil.rmtree(folder, ignore_errors=True)
            continue
        try:
            server.listen(64)
            server.settimeout(0.2)
            yield server, path
        finally:
            server.close()
            shutil.rmtree(folder, ignore_errors=True)
        return
    yield None


def _die_with_server() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel send the command SIGTERM when this process dies (Linux)."""
    if sys.platform != "linux":
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    server_pid = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGTERM))
        if os.getppid() != server_pid:  # the server died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


@contextmanager
def _command(command: Sequence[str], env: dict[str, str], terminated: list[int]) -> Iterator[subprocess.Popen]:
    """Start ``command``; while it runs, ignore Ctrl-C (it reaches the command directly) and pass
    SIGTERM on, noting it in ``terminated``."""
    sys.stdout.flush()
    sys.stderr.flush()
    proc = subprocess.Popen(list(command), env=env, preexec_fn=_die_with_server())

    def on_term(signum, _frame):
        terminated.append(signum)
        proc.terminate()

    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, on_term)
    try:
        yield proc
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _exit_status(proc: subprocess.Popen) -> int:
    return proc.returncode if proc.returncode >= 0 else 128 - proc.returncode  # killed by a signal: as a shell says


def _run_plainly(command: Sequence[str], why: str) -> int:
    print(f"rd4ad preload: {why}; running the command without preloading", file=sys.stderr)
    env = {k: v for k, v in os.environ.items() if k != ENV}
    with _command(command, env, []) as proc:
        proc.wait()
    return _exit_status(proc)


def _peer(conn: socket.socket) -> tuple[int, int]:
    """The connected client's pid and uid (``SO_PEERCRED``)."""
    pid, uid, _gid = _PEERCRED.unpack(conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size))
    return pid, uid


def _fork_job(server: socket.socket, conn: socket.socket, run: Callable[[list[str]], int]) -> int | None:
    """The pid of the job forked for ``conn``; ``None`` when its client runs as another user (refused)."""
    client_pid, uid = _peer(conn)
    if uid != os.getuid():
        print(f"rd4ad preload: refused a client of uid {uid} (this server's is {os.getuid()})", file=sys.stderr)
        try:
            send(conn, REFUSED)
        except OSError:
            pass
        return None
    pid = os.fork()
    if pid == 0:  # the child never returns into the server: its copy of the server must not clean up
        try:
            server.close()
            run_job(conn, client_pid, run)
        finally:
            os._exit(1)
    return pid


def _reap(children: set[int]) -> None:
    for pid in list(children):
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done:
            children.discard(pid)


def _end_jobs(children: set[int], terminated: list[int]) -> None:
    """Wait for the jobs still running; once the server has had a SIGTERM, pass it on and SIGKILL the
    jobs left after ``GRACE_S``."""
    while children and not terminated:
        time.sleep(0.05)
        _reap(children)
    for pid in children:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    while children and time.monotonic() < deadline:
        time.sleep(0.05)
        _reap(children)
    for pid in children:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def serve(command: Sequence[str], run: Callable[[list[str]], int], preload: Sequence[str] = ()) -> int:
    """Import ``MODULES`` and ``preload``, run ``command`` with ``RD4AD_PRELOAD`` set and serve its jobs by
    forking children that call ``run(argv)``; return ``command``'s exit status once it has ended.

    Ctrl-C reaches ``command`` (and its jobs) directly; the server ignores it and waits for
    ``command`` to finish; SIGTERM to the server is passed on to ``command``, then to the jobs."""
    if cuda_visible():
        return _run_plainly(command, "CUDA devices are visible and a forked job cannot use them")
    with _listening() as listener:
        if listener is None:
            return _run_plainly(command, f"no Unix socket could be made in {', '.join(socket_bases())}")
        server, path = listener
        for name in (*MODULES, *preload):
            importlib.import_module(name)
        children: set[int] = set()
        terminated: list[int] = []
        with _command(command, {**os.environ, ENV: path}, terminated) as proc:
            try:
                while proc.poll() is None:
                    try:
                        conn, _addr = server.accept()
                    except TimeoutError:
                        _reap(children)
                        continue
                    with conn:
                        pid = _fork_job(server, conn, run)
                    if pid is not None:
                        children.add(pid)
            finally:
                _end_jobs(children, terminated)
    return _exit_status(proc)
