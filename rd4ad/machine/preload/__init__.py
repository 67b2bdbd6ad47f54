"""Preloaded jobs: fork each ``python -m rd4ad train|evaluate`` from a process that has torch imported.

On a CPU-only machine a small run's job spends most of its life importing: torch, torchvision
(which loads ``torch._dynamo``) and scikit-learn take about 4 s per process on a 2-core Xeon, 7–10 s
on slower CPUs, while training a demo run takes 3–25 s. The server (``server.py``) imports them
once, starts the wrapped command (``snakemake all …``) with ``RD4AD_PRELOAD`` naming a Unix socket,
and answers every job that connects by forking a child (``job.py``) that already holds them.

Each job's own process (the client, ``client.py``, the process Snakemake started) stays the job: it
hands its argv, environment, working folder and its stdin/stdout/stderr (the file descriptors
themselves) to the server, prints nothing of its own and exits with the child's exit status. The
child runs the command exactly as a fresh ``python -m rd4ad`` would (same parser, same errors). It
dies with its client: SIGINT/SIGTERM are forwarded, and a client that vanishes (SIGKILL) is noticed
on the connection. Messages are typed frames (``protocol.py``): a pid, an exit status and a refusal
cannot be taken for one another, and the client signals only a pid the server sent as one.

The server runs only ``train`` and ``evaluate``, only for a client of its own uid, and reads a
request for at most ``REQUEST_TIMEOUT_S``; anything else gets a refusal and one line on the server's
stderr. Without a server (``RD4AD_PRELOAD`` unset, or nobody listening), on a refusal, or where the
server would not be the same (another Python environment or checkout, another SLURM job or control
group), the client runs the command itself.

The server runs no torch computation and never touches CUDA, so what a job sets up before its first
computation (CPU numerics, thread count) takes effect as in a fresh process: with the demo's native
numerics a job's metrics are bit-identical either way (``tests/test_preload.py``; all 24 demo runs
compared by hand as well). GPU jobs need a fresh process (a forked child cannot initialise CUDA
reliably): where NVIDIA devices are visible the server does not start and the command runs with
plain processes. So it does where no Unix socket can be made.

The wrapped command dies with the server (SIGTERM when the server dies, even by SIGKILL, so
Snakemake removes its lock as on Ctrl-C); after a SIGTERM the server gives its jobs ``GRACE_S`` to
end, then kills them. A socket folder whose server died is removed by the next server.
"""
