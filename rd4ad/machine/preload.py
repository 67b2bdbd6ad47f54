"""Preloaded jobs: fork each ``python -m rd4ad train|evaluate`` from a process that has torch imported.

On a CPU-only machine a small run's job spends most of its life importing: torch, torchvision
(which loads ``torch._dynamo``) and scikit-learn take about 4 s per process on a 2-core Xeon, 7–10 s
on slower CPUs, while training a demo run takes 3–25 s. ``serve`` imports them once, starts the
wrapped command (``snakemake all …``) with ``RD4AD_PRELOAD`` naming a Unix socket, and answers every
job that connects by forking a child that already holds them.

Each job's own process (the client Snakemake started) stays the job: it hands its argv,
environment, working folder and its stdin/stdout/stderr (the file descriptors themselves) to the
server, prints nothing of its own and exits with the child's exit status. The child runs the command
exactly as a fresh ``python -m rd4ad`` would (same parser, same errors). It dies with its client:
SIGINT/SIGTERM are forwarded, and a client that vanishes (SIGKILL) is noticed on the connection.
Without a server (``RD4AD_PRELOAD`` unset, or nobody listening), or where the server would not be
the same (another Python environment or checkout, another SLURM job or control group), the client
runs the command itself.

The server runs no torch computation and never touches CUDA, so what a job sets up before its first
computation (CPU numerics, thread count) takes effect as in a fresh process: with the demo's native
numerics a job's metrics are bit-identical either way (``tests/test_preload.py``; all 24 demo runs
compared by hand as well). GPU jobs need a fresh process (a forked child cannot initialise CUDA
reliably), so ``scripts/run_demo.sh`` preloads only where it finds no GPU.

Imports: ``rd4ad.files``.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

ENV = "RD4AD_PRELOAD"
COMMANDS = ("train", "evaluate")  # the per-run jobs: one process each, dozens per workflow
MODULES = ("torch", "torchvision", "sklearn.metrics", "scipy.ndimage", "pandas")
_STATUS = struct.Struct("!i")
_STD_FDS = (0, 1, 2)


def _send_request(conn: socket.socket, argv: Sequence[str]) -> None:
    request = {"argv": list(argv), "env": dict(os.environ), "cwd": os.getcwd(), "origin": _origin()}
    body = json.dumps(request).encode()
    socket.send_fds(conn, [_STATUS.pack(len(body))], list(_STD_FDS))
    conn.sendall(body)


def _recv_exactly(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the connection closed early")
        data += chunk
    return data


def forward(argv: Sequence[str]) -> int | None:
    """Run ``python -m rd4ad ARGV`` in a child of the server ``$RD4AD_PRELOAD`` names and return its exit
    status; ``None`` when the command is not a per-run job or no server listens (run it here)."""
    path = os.environ.get(ENV)
    if not path or not argv or argv[0] not in COMMANDS:
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError:
        conn.close()
        return None
    with conn:
        try:
            _send_request(conn, argv)
        except OSError:  # e.g. this process has no stdin to hand over
            return None
        try:
            (pid,) = _STATUS.unpack(_recv_exactly(conn, _STATUS.size))
        except (ConnectionError, OSError):
            print(f"rd4ad: the preload server at {path} did not start the job", file=sys.stderr)
            return 1
        if pid == 0:
            return None
        received: list[int] = []

        def pass_on(signum, _frame):
            received.append(signum)
            os.kill(pid, signum)

        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, pass_on)
        # Ctrl-C reaches the job directly when it shares this process group (a terminal's
        # foreground group); passing it on as well would interrupt its clean-up a second time.
        same_group = os.getpgid(pid) == os.getpgrp()
        signal.signal(signal.SIGINT, signal.SIG_IGN if same_group else pass_on)
        try:
            (status,) = _STATUS.unpack(_recv_exactly(conn, _STATUS.size))
        except (ConnectionError, OSError):
            if received:
                return 128 + received[-1]
            print(f"rd4ad: the preloaded job (pid {pid}) ended without an exit status", file=sys.stderr)
            return 1
        return status


def _control_group(pid: int | str) -> str:
    try:
        return Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        return ""


def _origin() -> list[str]:
    """The Python environment and the suite's code this process runs."""
    return [sys.prefix, str(Path(__file__).resolve())]


def _same_place(conn: socket.socket, request: dict) -> bool:
    """Whether the client is what this server would be: the same Python environment and suite code, in
    the same scheduler job (``SLURM_JOB_ID``) and control group. A job started with another
    interpreter, or placed elsewhere by a scheduler, keeps its own process, limits and accounting."""
    client_pid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
    same_job = request["env"].get("SLURM_JOB_ID") == os.environ.get("SLURM_JOB_ID")
    return request["origin"] == _origin() and same_job and _control_group(client_pid) == _control_group("self")


def _exit_status(err: SystemExit) -> int:
    if err.code is None or isinstance(err.code, int):
        return err.code or 0
    print(err.code, file=sys.stderr)
    return 1


def _watch_client(conn: socket.socket) -> None:
    """Terminate this job when its client is gone (the connection reads end-of-file)."""
    try:
        while conn.recv(1):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGTERM)


def _become_job(conn: socket.socket, run: Callable[[list[str]], int]) -> None:
    """The forked child: take the client's descriptors, environment and folder, run, report, exit."""
    status = 1
    try:
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            header, fds, _flags, _addr = socket.recv_fds(conn, _STATUS.size, len(_STD_FDS))
            header += _recv_exactly(conn, _STATUS.size - len(header))
            request = json.loads(_recv_exactly(conn, _STATUS.unpack(header)[0]))
        except (OSError, ValueError):  # the client gave up before its request was whole: it runs itself
            os._exit(0)
        if not _same_place(conn, request):
            conn.sendall(_STATUS.pack(0))  # pid 0: the client runs the command itself
            os._exit(0)
        for target, fd in zip(_STD_FDS, fds, strict=True):
            os.dup2(fd, target)
            os.close(fd)
        sys.stdout.reconfigure(line_buffering=os.isatty(1))
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        threads = os.environ.get("OMP_NUM_THREADS", "")
        if threads.isdigit() and int(threads) > 0:
            import torch

            torch.set_num_threads(int(threads))
        conn.sendall(_STATUS.pack(os.getpid()))
        threading.Thread(target=_watch_client, args=(conn,), daemon=True).start()
        try:
            status = run(request["argv"])
        except SystemExit as err:
            status = _exit_status(err)
    except BaseException:  # noqa: BLE001 (the child must reach os._exit: it holds a copy of the server)
        import traceback

        traceback.print_exc()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the report short
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        try:
            conn.sendall(_STATUS.pack(status))
        except OSError:
            pass
        os._exit(status)


def _reap(children: set[int]) -> None:
    for pid in list(children):
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done:
            children.discard(pid)


def serve(command: Sequence[str], run: Callable[[list[str]], int], preload: Sequence[str] = ()) -> int:
    """Import ``MODULES`` and ``preload``, run ``command`` with ``RD4AD_PRELOAD`` set and serve its jobs by
    forking children that call ``run(argv)``; return ``command``'s exit status once it has ended.

    Ctrl-C reaches ``command`` (and its jobs) directly; the server ignores it and waits for
    ``command`` to finish; SIGTERM to the server is passed on to ``command``."""
    for name in (*MODULES, *preload):
        importlib.import_module(name)
    children: set[int] = set()
    with tempfile.TemporaryDirectory(prefix="rd4ad-preload-") as folder:
        path = str(Path(folder) / "socket")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(64)
        server.settimeout(0.2)
        sys.stdout.flush()
        sys.stderr.flush()
        proc = subprocess.Popen(list(command), env={**os.environ, ENV: path})
        previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
        try:
            while proc.poll() is None:
                try:
                    conn, _addr = server.accept()
                except TimeoutError:
                    _reap(children)
                    continue
                pid = os.fork()
                if pid == 0:  # the child never returns into this loop: its copy of the server must not clean up
                    try:
                        server.close()
                        conn.settimeout(None)
                        _become_job(conn, run)
                    finally:
                        os._exit(1)
                conn.close()
                children.add(pid)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            server.close()
            for pid in children:
                os.waitpid(pid, 0)
    return proc.returncode if proc.returncode >= 0 else 128 - proc.returncode  # killed by a signal: as a shell says
