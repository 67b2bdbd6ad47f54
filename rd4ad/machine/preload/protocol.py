"""The preload socket's messages: typed frames, so a pid, an exit status and a refusal cannot be confused.

A frame is a kind byte and a signed 32-bit value. The client sends one ``REQUEST`` frame, whose
value is the length of the JSON body that follows, with its stdin/stdout/stderr attached
(``SCM_RIGHTS``). The server answers ``REFUSED`` (the client runs the command itself), or ``PID``
and, when the job ends, ``STATUS``.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import sys
import time
from pathlib import Path

ENV = "RD4AD_PRELOAD"
COMMANDS = ("train", "evaluate")  # the per-run jobs: one process each, dozens per workflow
STD_FDS = (0, 1, 2)
REQUEST, PID, STATUS, REFUSED = b"q", b"p", b"s", b"r"
FRAME = struct.Struct("!ci")
MAX_REQUEST_BYTES = 1 << 24
REQUEST_TIMEOUT_S = 10.0  # a client sends its whole request at once; a silent one must not hold a job
_SHAPE = {"argv": list, "env": dict, "cwd": str, "origin": list}


class BadRequest(Exception):
    """A request the server will not run; the message says why in one line."""


def origin() -> list[str]:
    """The Python environment and the suite's code this process runs."""
    return [sys.prefix, str(Path(__file__).resolve())]


def send(conn: socket.socket, kind: bytes, value: int = 0) -> None:
    conn.sendall(FRAME.pack(kind, value))


def receive(conn: socket.socket) -> tuple[bytes, int]:
    """The next frame's kind and value; ``ConnectionError`` when the connection closes first."""
    kind, value = FRAME.unpack(_recv_exactly(conn, FRAME.size))
    return kind, value


def _recv_exactly(conn: socket.socket, n: int, deadline: float | None = None) -> bytes:
    data = b""
    while len(data) < n:
        if deadline is not None:
            conn.settimeout(max(deadline - time.monotonic(), 1e-3))
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the connection closed early")
        data += chunk
    return data


def send_request(conn: socket.socket, argv: list[str]) -> None:
    """Hand ``argv``, this process's environment, folder and standard descriptors to the server."""
    request = {"argv": argv, "env": dict(os.environ), "cwd": os.getcwd(), "origin": origin()}
    body = json.dumps(request).encode()
    socket.send_fds(conn, [FRAME.pack(REQUEST, len(body))], list(STD_FDS))
    conn.sendall(body)


def read_request(conn: socket.socket) -> tuple[dict, list[int]]:
    """The client's request and its standard descriptors, read within ``REQUEST_TIMEOUT_S``;
    ``BadRequest`` (its descriptors closed) for anything else."""
    deadline = time.monotonic() + REQUEST_TIMEOUT_S
    fds: list[int] = []
    try:
        conn.settimeout(REQUEST_TIMEOUT_S)
        head, fds, _flags, _addr = socket.recv_fds(conn, FRAME.size, len(STD_FDS))
        if not head:
            raise BadRequest("the client sent nothing")
        kind, size = FRAME.unpack(head + _recv_exactly(conn, FRAME.size - len(head), deadline))
        if kind != REQUEST or not 0 < size <= MAX_REQUEST_BYTES:
            raise BadRequest("not a request frame")
        if len(fds) != len(STD_FDS):
            raise BadRequest(f"{len(fds)} descriptors instead of {len(STD_FDS)}")
        request = json.loads(_recv_exactly(conn, size, deadline))
        _check(request)
        conn.settimeout(None)
        return request, fds
    except BadRequest:
        _close(fds)
        raise
    except TimeoutError:
        _close(fds)
        raise BadRequest(f"no whole request within {REQUEST_TIMEOUT_S:g} s") from None
    except (OSError, ValueError) as err:  # closed early, not JSON, not UTF-8
        _close(fds)
        raise BadRequest(f"unreadable request ({err})") from None


def _close(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)


def _check(request: object) -> None:
    if not isinstance(request, dict) or any(not isinstance(request.get(k), t) for k, t in _SHAPE.items()):
        raise BadRequest("a request is an object with argv, env, cwd and origin")
    env = request["env"]
    if not request["argv"] or not all(isinstance(s, str) for s in (*request["argv"], *env, *env.values())):
        raise BadRequest("argv must be a non-empty list of strings, env a map of strings")
