"""A preloaded job: the forked child that checks a client's request, becomes its job and reports its status."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from rd4ad.machine.preload.protocol import (
    COMMANDS,
    PID,
    REFUSED,
    STATUS,
    STD_FDS,
    BadRequest,
    origin,
    read_request,
    send,
)


def run_job(conn: socket.socket, client_pid: int, run: Callable[[list[str]], int]) -> NoReturn:
    """In the forked child: read the request of ``client_pid``; refuse it, or take the client's
    descriptors, environment and folder, run ``run(argv)``, send its status and exit."""
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)
    try:
        request, fds = read_request(conn)
        if request["argv"][0] not in COMMANDS:
            raise BadRequest(f"{request['argv'][0]!r} is not served (only {', '.join(COMMANDS)})")
    except BadRequest as err:
        print(f"rd4ad preload: refused a request: {err}", file=sys.stderr, flush=True)
        _refuse(conn)
    if not _same_place(client_pid, request):
        for fd in fds:
            os.close(fd)
        _refuse(conn)
    try:
        send(conn, PID, os.getpid())
    except OSError:  # the client is gone: nothing to run for
        os._exit(0)
    _become(conn, request, fds, run)


def _refuse(conn: socket.socket) -> NoReturn:
    try:
        send(conn, REFUSED)
    except OSError:
        pass
    os._exit(0)


def _control_group(pid: int | str) -> str:
    try:
        return Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        return ""


def _same_place(client_pid: int, request: dict) -> bool:
    """Whether the client is what this server would be: the same Python environment and suite code, in
    the same scheduler job (``SLURM_JOB_ID``) and control group. A job started with another
    interpreter, or placed elsewhere by a scheduler, keeps its own process, limits and accounting."""
    same_job = request["env"].get("SLURM_JOB_ID") == os.environ.get("SLURM_JOB_ID")
    return request["origin"] == origin() and same_job and _control_group(client_pid) == _control_group("self")


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


def _become(conn: socket.socket, request: dict, fds: list[int], run: Callable[[list[str]], int]) -> NoReturn:
    status = 1
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in zip(STD_FDS, fds, strict=True):
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
        threading.Thread(target=_watch_client, args=(conn,), daemon=True).start()
        try:
            status = run(request["argv"])
        except SystemExit as err:
            status = _exit_status(err)
    except BaseException:  # noqa: BLE001 (the child must reach os._exit: it holds a copy of the server)
        traceback.print_exc()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the report short
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        try:
            send(conn, STATUS, status)
        except OSError:
            pass
        os._exit(status)
