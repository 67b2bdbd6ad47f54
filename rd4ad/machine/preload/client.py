"""The client side of a preloaded job: hand the command to the server, pass signals on, return its status."""

from __future__ import annotations

import os
import signal
import socket
import sys
from collections.abc import Sequence

from rd4ad.machine.preload.protocol import COMMANDS, ENV, PID, REFUSED, STATUS, receive, send_request


def forward(argv: Sequence[str]) -> int | None:
    """Run ``python -m rd4ad ARGV`` in a child of the server ``$RD4AD_PRELOAD`` names and return its exit
    status; ``None`` when the command is not a per-run job, no server listens or it refuses (run it here)."""
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
            send_request(conn, list(argv))
            kind, pid = receive(conn)
        except OSError:  # no stdin to hand over, or the server closed before starting a job
            return None
        if kind == REFUSED:
            return None
        if kind != PID or pid <= 1:
            print(f"rd4ad: the preload server at {path} sent no job pid", file=sys.stderr)
            return 1
        return _wait(conn, pid)


def _wait(conn: socket.socket, pid: int) -> int:
    """Pass SIGTERM/SIGHUP (and SIGINT from outside the job's process group) on to job ``pid`` until
    its ``STATUS`` frame comes."""
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
        kind, status = receive(conn)
    except OSError:
        kind = None
    if kind == STATUS:
        return status
    if received:
        return 128 + received[-1]
    print(f"rd4ad: the preloaded job (pid {pid}) ended without an exit status", file=sys.stderr)
    return 1
