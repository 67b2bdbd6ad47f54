"""`python -m rd4ad preload -- COMMAND`: jobs forked from a process with torch imported give the
fresh process's results bit for bit, keep their own output and exit status, and die with their client;
the server serves only its own user's train/evaluate jobs, survives bad requests, steps aside where
CUDA is visible or no socket can be made, bounds its wait after SIGTERM and takes COMMAND with it.

The tests of the server itself run ``serve`` in this process, without the imports (``MODULES``) and
with a fake job; each COMMAND is a small Python script (``CLIENT``)."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest
from data_fixtures import DIGITS_RUN

from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.machine.preload import client, protocol, server
from rd4ad.machine.preload.protocol import ENV
from rd4ad.training.hold import HELD
from rd4ad.training.hold import VARIABLE as HOLD_VARIABLE

REPO = Path(__file__).resolve().parents[1]
RUN = RunConfig(**{**DIGITS_RUN, "teacher_weights": "random_calibrated", "epochs": 1})
RD4AD = [sys.executable, "-m", "rd4ad"]
PATIENCE_S = 600  # waits for an event, never a speed limit


def _job(command: str, run: RunConfig, results: Path) -> list[str]:
    flags = ["--results", str(results), "--device", "cpu"]
    if command == "train":
        return [*RD4AD, "train", "--run-json", json.dumps(run.to_dict()), *flags]
    return [*RD4AD, "evaluate", "--run", str(run.key), *flags]


def _shell(*jobs: list[str]) -> str:
    """One shell line running ``jobs`` in turn, each under ``python -X importtime`` (it lists, on the
    job's stderr, every module its own interpreter imports) with one thread, as the rules run them."""
    return " && ".join(
        "OMP_NUM_THREADS=1 " + shlex.join([job[0], "-X", "importtime", *job[1:]]) + " 2>>importtime.txt" for job in jobs
    )


def _metrics(results: Path) -> dict:
    metrics = json.loads(RunFolder(results, RUN.key).metrics.read_text())
    metrics.pop("eval_seconds")
    return metrics


def test_a_preloaded_job_gives_the_fresh_process_metrics_and_imports_no_torch(tmp_path):
    fresh, preloaded = tmp_path / "fresh", tmp_path / "preloaded"
    for folder in (fresh, preloaded):
        folder.mkdir()
    jobs = {f: [_job(c, RUN, f / "results") for c in ("train", "evaluate")] for f in (fresh, preloaded)}
    subprocess.run(["bash", "-c", _shell(*jobs[fresh])], cwd=fresh, check=True)
    subprocess.run([*RD4AD, "preload", "--", "bash", "-c", _shell(*jobs[preloaded])], cwd=preloaded, check=True)

    assert _metrics(fresh / "results") == _metrics(preloaded / "results")
    assert " torch\n" in (fresh / "importtime.txt").read_text()
    assert " torch\n" not in (preloaded / "importtime.txt").read_text(), "the job did not reach the server"


def test_a_preloaded_job_keeps_its_error_and_exit_status(tmp_path):
    bad = [*RD4AD, "evaluate", "--run", "mvtec/none/x/seed0", "--results", str(tmp_path)]
    fresh = subprocess.run(bad, cwd=REPO, capture_output=True, text=True)
    served = subprocess.run([*RD4AD, "preload", "--", *bad], cwd=REPO, capture_output=True, text=True)
    gone = subprocess.run(bad, cwd=REPO, capture_output=True, text=True, env={**os.environ, ENV: str(tmp_path / "no")})
    assert fresh.returncode == served.returncode == gone.returncode == 2
    assert fresh.stderr == served.stderr == gone.stderr
    assert fresh.stderr.startswith("rd4ad evaluate: error: ") and fresh.stderr.count("\n") == 1


def test_a_preloaded_job_dies_with_its_client(tmp_path):
    """SIGKILL leaves no handler to pass anything on: the job notices its connection close."""
    run = RunConfig(**{**DIGITS_RUN, "epochs": 3})
    log = tmp_path / "train.log"
    server = subprocess.Popen(
        [*RD4AD, "preload", "--", "bash", "-c", shlex.join(_job("train", run, tmp_path)) + f" 2>{log}"],
        cwd=REPO,
        env={**os.environ, HOLD_VARIABLE: f"{run.key}@1"},
    )
    deadline = time.monotonic() + PATIENCE_S
    while not (log.is_file() and HELD in log.read_text()):
        assert server.poll() is None and time.monotonic() < deadline, log.read_text() if log.is_file() else ""
        time.sleep(0.2)
    processes = psutil.Process(server.pid).children(recursive=True)
    job = next(p for p in processes if p.ppid() == server.pid and p.cmdline() == psutil.Process(server.pid).cmdline())
    client = next(p for p in processes if p.cmdline()[3:4] == ["train"])
    client.send_signal(signal.SIGKILL)
    assert server.wait(timeout=PATIENCE_S) != 0
    assert not job.is_running() or job.status() == psutil.STATUS_ZOMBIE
    assert not RunFolder(tmp_path, run.key).model.exists()


def test_preload_without_a_command_is_one_clear_error():
    done = subprocess.run([*RD4AD, "preload"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr == "rd4ad preload: error: give the command to run after --, e.g. -- snakemake all --cores 2\n"


def test_a_job_of_another_scheduler_job_runs_in_its_own_process(tmp_path):
    """A SLURM job step on this node must keep its own process, limits and accounting."""
    bad = [sys.executable, "-X", "importtime", "-m", "rd4ad", "evaluate", "--run", "mvtec/none/x/seed0"]
    line = shlex.join([*bad, "--results", str(tmp_path)])
    done = subprocess.run(
        [*RD4AD, "preload", "--", "bash", "-c", f"SLURM_JOB_ID=42 {line}"], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert " torch\n" in done.stderr, "the job went to the server"
    assert [line for line in done.stderr.splitlines() if not line.startswith("import time:")] == [
        f"rd4ad evaluate: error: {tmp_path}/mvtec/none/x/seed0/model.pt: no such checkpoint; train the run first "
        "(python -m rd4ad train …)"
    ]


# A COMMAND for the in-process server: send the request MODE names, print the first reply's kind,
# then run `train x` through the server as a job would and print what `forward` returns.
CLIENT = """
import json, os, socket, sys, time
from rd4ad.machine.preload import client, protocol as p

mode = sys.argv[1]
conn = socket.socket(socket.AF_UNIX)
conn.connect(os.environ[p.ENV])
body = json.dumps({"argv": ["train", "x"], "env": dict(os.environ), "cwd": os.getcwd(), "origin": p.origin()})
if mode == "knobs":
    p.send_request(conn, ["knobs"])
elif mode == "list":
    socket.send_fds(conn, [p.FRAME.pack(p.REQUEST, 6)], [0, 1, 2])
    conn.sendall(b"[1, 2]")
elif mode == "no descriptors":
    conn.sendall(p.FRAME.pack(p.REQUEST, len(body)) + body.encode())
elif mode == "half sent":
    socket.send_fds(conn, [p.FRAME.pack(p.REQUEST, len(body))], [0, 1, 2])
    conn.sendall(body[:10].encode())
    conn.shutdown(socket.SHUT_WR)
try:
    print(p.receive(conn)[0].decode(), flush=True)  # mode "silent": sends nothing at all
except ConnectionError:
    print("closed", flush=True)
print(client.forward(["train", "x"]), flush=True)
"""


@pytest.fixture
def fake_jobs(tmp_path, monkeypatch):
    """``serve`` without the imports, short timeouts; returns a function running COMMAND under it with
    a fake job that notes its argv in ``ran`` and exits 7."""
    monkeypatch.setattr(server, "MODULES", ())
    monkeypatch.setattr(server, "GRACE_S", 1.0)
    monkeypatch.setattr(protocol, "REQUEST_TIMEOUT_S", 1.0)
    monkeypatch.chdir(REPO)
    ran = tmp_path / "ran"

    def job(argv):
        with ran.open("a") as out:
            out.write(" ".join(argv) + "\n")
        return 7

    def serve(*command: str) -> int:
        return server.serve(command, job)

    serve.ran = ran
    return serve


def _client(mode: str) -> list[str]:
    return [sys.executable, "-c", CLIENT, mode]


def _stdout_lines(capfd) -> tuple[list[str], list[str]]:
    out, err = capfd.readouterr()
    return out.splitlines(), err.splitlines()


@pytest.mark.parametrize("mode", ["list", "no descriptors", "half sent", "silent"])
def test_a_malformed_request_is_refused_in_one_line_and_the_server_goes_on(fake_jobs, capfd, mode):
    assert fake_jobs(*_client(mode)) == 0
    out, err = _stdout_lines(capfd)
    assert out == ["r", "7"]  # refused; then a well-formed job ran
    assert len(err) == 1 and err[0].startswith("rd4ad preload: refused a request: "), err
    assert fake_jobs.ran.read_text() == "train x\n"


def test_the_server_runs_only_train_and_evaluate(fake_jobs, capfd):
    assert fake_jobs(*_client("knobs")) == 0
    out, err = _stdout_lines(capfd)
    assert out == ["r", "7"]
    assert err == ["rd4ad preload: refused a request: 'knobs' is not served (only train, evaluate)"]
    assert fake_jobs.ran.read_text() == "train x\n"


def test_a_client_of_another_user_is_refused(fake_jobs, capfd, monkeypatch):
    monkeypatch.setattr(server, "_peer", lambda conn: (os.getpid(), os.getuid() + 1))
    assert fake_jobs(*_client("silent")) == 0
    out, err = _stdout_lines(capfd)
    assert out == ["r", "None"]  # refused before any job: the client runs the command itself
    assert err == [f"rd4ad preload: refused a client of uid {os.getuid() + 1} (this server's is {os.getuid()})"] * 2
    assert not fake_jobs.ran.exists()


@pytest.mark.parametrize("frame", [(protocol.STATUS, 1), (protocol.PID, 1), (protocol.PID, 0)])
def test_the_client_signals_no_pid_the_server_did_not_send_as_one(tmp_path, monkeypatch, capsys, frame):
    """A status, or a pid the client must not signal (itself, every process), in the pid's place."""
    path = str(tmp_path / "socket")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(1)

    def answer():
        conn, _addr = listener.accept()
        with conn:
            _request, fds = protocol.read_request(conn)
            for fd in fds:
                os.close(fd)
            protocol.send(conn, *frame)
            protocol.send(conn, protocol.STATUS, 1)

    thread = threading.Thread(target=answer)
    thread.start()
    killed = []
    monkeypatch.setattr(client.os, "kill", lambda *args: killed.append(args))
    monkeypatch.setenv(ENV, path)
    assert client.forward(["train", "x"]) == 1
    thread.join()
    listener.close()
    assert killed == []
    assert capsys.readouterr().err == f"rd4ad: the preload server at {path} sent no job pid\n"


PRINT_ENV = f"import os; print(os.environ.get({ENV!r}))"


def test_where_cuda_is_visible_the_command_runs_without_a_server(fake_jobs, capfd, monkeypatch):
    monkeypatch.setattr(server, "cuda_visible", lambda: True)
    monkeypatch.setenv(ENV, "/an/outer/server")
    assert fake_jobs(sys.executable, "-c", PRINT_ENV) == 0
    out, err = _stdout_lines(capfd)
    assert out == ["None"]
    assert err == [
        "rd4ad preload: CUDA devices are visible and a forked job cannot use them; "
        "running the command without preloading"
    ]


@pytest.mark.parametrize(
    ("devices", "listed", "visible"),
    [(True, None, True), (True, "0", True), (True, "", False), (True, "-1", False), (False, None, False)],
)
def test_cuda_is_visible_where_nvidia_devices_exist_and_are_not_hidden(tmp_path, monkeypatch, devices, listed, visible):
    monkeypatch.setattr(server, "NVIDIA_DEVICES", (str(tmp_path / "nvidia[0-9]*"),))
    if devices:
        (tmp_path / "nvidia0").touch()
    if listed is None:
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    else:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", listed)
    assert server.cuda_visible() is visible


def test_a_tmpdir_too_long_for_a_socket_falls_back_to_a_shorter_folder(tmp_path):
    long = tmp_path / ("x" * 150)
    long.mkdir()
    done = subprocess.run(
        [*RD4AD, "preload", "--", sys.executable, "-c", PRINT_ENV],
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(long)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    path = done.stdout.strip()
    assert path != "None" and not path.startswith(str(long)) and done.stderr == ""


def test_without_a_folder_for_a_socket_the_command_runs_without_a_server(fake_jobs, capfd, tmp_path, monkeypatch):
    long = tmp_path / ("x" * 150)
    long.mkdir()
    monkeypatch.setattr(server, "socket_bases", lambda: [str(long)])
    assert fake_jobs(sys.executable, "-c", PRINT_ENV) == 0
    out, err = _stdout_lines(capfd)
    assert out == ["None"]
    assert err == [f"rd4ad preload: no Unix socket could be made in {long}; running the command without preloading"]


def test_after_a_sigterm_the_server_waits_for_its_jobs_a_bounded_time(fake_jobs, tmp_path, monkeypatch):
    """The job ignores SIGTERM; the command (a shell) dies of it and leaves its job's client behind."""
    ready = tmp_path / "ready"

    def stubborn_job(argv):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        ready.write_text(str(os.getpid()))
        time.sleep(60)
        return 0

    def terminate_when_ready():
        deadline = time.monotonic() + PATIENCE_S
        while not ready.is_file() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    forward = [sys.executable, "-c", "from rd4ad.machine.preload import client; client.forward(['train', 'x'])"]
    threading.Thread(target=terminate_when_ready, daemon=True).start()
    started = time.monotonic()
    status = server.serve(["sh", "-c", shlex.join(forward) + " & wait"], stubborn_job)
    assert status == 128 + signal.SIGTERM
    assert time.monotonic() - started < 30, "the server waited for the job to end by itself"
    assert not psutil.pid_exists(int(ready.read_text()))


SIGTERM_NOTE = """
import pathlib, signal, sys, time
out = pathlib.Path(sys.argv[1])
signal.signal(signal.SIGTERM, lambda *_: (out.joinpath("sigterm").touch(), sys.exit(0)))
out.joinpath("ready").touch()
time.sleep(60)
"""


def test_a_killed_server_takes_its_command_along_and_the_next_removes_its_folder(tmp_path):
    """As Snakemake does on Ctrl-C, a command that gets SIGTERM can remove its lock."""
    tmpdir = Path(tempfile.mkdtemp(prefix="rd4ad-t-", dir="/tmp"))  # short: the socket path must fit
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    try:
        killed = subprocess.Popen([*RD4AD, "preload", "--", sys.executable, "-c", SIGTERM_NOTE, tmp_path], env=env)
        deadline = time.monotonic() + PATIENCE_S
        while not (tmp_path / "ready").is_file():
            assert killed.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        command = psutil.Process(killed.pid).children()[0]
        killed.kill()
        killed.wait()
        try:
            command.wait(timeout=PATIENCE_S)
        except psutil.TimeoutExpired:
            command.kill()
        assert (tmp_path / "sigterm").is_file(), "the command outlived the server without a SIGTERM"

        live = tmpdir / f"{server.FOLDER_PREFIX}{os.getpid()}-live"
        live.mkdir()
        assert [p.name for p in tmpdir.iterdir() if p != live] != []  # the killed server's folder
        subprocess.run([*RD4AD, "preload", "--", "true"], env=env, check=True)
        assert list(tmpdir.iterdir()) == [live]
    finally:
        subprocess.run(["rm", "-rf", str(tmpdir)], check=True)
