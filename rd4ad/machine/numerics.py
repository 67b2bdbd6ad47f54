"""CPU numerics: ``native`` (fastest kernels for this CPU) or ``pinned`` (kernels that do not depend on the CPU).

Float results on CPU depend on which kernels run: oneDNN picks its convolution code by
vector ISA (and cache size), MKL's GEMM dispatches by CPU vendor and ISA, ATen's
vectorised reductions sum in lanes of the CPU's vector width, and every intra-op
thread count splits reductions differently. ``pinned`` removes each source of variation:

========================  ===========================================================
setting                   effect
========================  ===========================================================
oneDNN off                convolutions use ATen's im2col + GEMM (no ISA/cache-tuned code)
NNPACK off                no second ISA-specific convolution path
``MKL_CBWR=COMPATIBLE``   MKL's SSE2 branch without the approximate rcpps/rsqrtps
``ATEN_CPU_CAPABILITY``   ATen's AVX2 kernels (fixed vector width) on AVX-512 CPUs too
1 intra-op thread         one reduction order
deterministic algorithms  ``torch.use_deterministic_algorithms``
fused Adam                ``exact_optimizer``: the update's square root is the exact vector
                          instruction, not MKL's vector math library (below)
========================  ===========================================================

``MKL_CBWR`` does not reach MKL's vector math library (VML), through which torch computes
``sqrt``, ``exp``, ``log``, ``tanh`` and other elementwise functions of CPU tensors. Its kernels
start from the approximate ``rsqrtps`` / ``rcpps``, whose results differ between Intel and AMD
CPUs, and are not correctly rounded (15 % of float32 square roots here): an Intel Xeon and an
AMD EPYC give other bits for the same Adam step. A pinned run therefore calls no VML function:
Adam runs ATen's fused kernel (``exact_optimizer``) and the Gaussian kernel of the anomaly maps is
computed by Python's ``math.exp`` (``rd4ad.scoring.smoothing``); ``tests/test_numerics.py`` counts
VML calls in a pinned run and expects none. One call is left in a pinned CI DAG, outside this suite's
code: anomalib's own anomaly map (an ``implementation: anomalib`` run's evaluation) takes the weights
of its Gaussian blur from ``torch.exp`` through kornia.

What one machine can check, ``tests/test_numerics.py`` checks: a pinned run (calibrated
teacher, training, evaluation) has the same bits at every stage whatever oneDNN ISA, MKL
instructions, numpy SIMD targets, ATen capability and thread count the CPU would offer; oneDNN
executes no primitive; every MKL call is a BLAS call in the CNR COMPATIBLE branch; no VML function
is called. What it cannot check is another vendor's CPU running the same kernels: the drift check
therefore counts the CPU model as part of the numerics environment and names, per run, the first
stage whose bits differ from the baseline's (``rd4ad.drift``), so that a run on another CPU says
where they part.

Pinned training is slower on CPU (``benchmarks/bench_numerics.py`` prints the ratio), so only
the CI config uses it; the paper and demo configs keep ``native``. CUDA numerics are not
affected. The settings must be in place before the first torch computation of the process:
``pin_cpu_numerics`` is the first thing a command does, and ``numerics_record`` states what
was in force so a drift check can tell a changed environment from a regression.
"""

from __future__ import annotations

import os
import platform

CPU_NUMERICS = ("native", "pinned")
PINNED_ENV = {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "avx2"}
# Environment variables that choose CPU kernels; recorded whether or not they were set by us
# (thread counts are recorded as the effective ``threads``). The ISA limits do not matter to
# pinned numerics, which use neither oneDNN nor MKL's ISA-specific branches.
KERNEL_ENV = ("MKL_CBWR", "ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS")
ISA_LIMITS = ("ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS")
VECTOR_FLAGS = (
    "avx",
    "avx2",
    "fma",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "amx_tile",
    "amx_bf16",
    "asimd",
    "sve",
)


def pin_cpu_numerics() -> None:
    """Apply the ``pinned`` settings to this process (call before any torch computation)."""
    os.environ.update(PINNED_ENV)
    import torch

    torch.backends.mkldnn.enabled = False
    torch.backends.nnpack.set_flags(False)
    torch.set_num_threads(1)


def exact_optimizer(optimizer, mode: str):
    """Under ``pinned`` numerics an Adam ``optimizer`` becomes the same Adam (its parameter groups and
    hyper-parameters) on ATen's fused kernel, whose square root is exact on every CPU; otherwise, or for
    another optimizer or one already fused, ``optimizer`` itself."""
    import torch

    if mode != "pinned" or type(optimizer) is not torch.optim.Adam or optimizer.defaults.get("fused"):
        return optimizer
    groups = [{k: v for k, v in group.items() if k not in ("foreach", "fused")} for group in optimizer.param_groups]
    return torch.optim.Adam(groups, fused=True)


def apply_cpu_numerics(mode: str) -> None:
    """``pinned`` → ``pin_cpu_numerics()``; ``native`` leaves the process as it is."""
    if mode not in CPU_NUMERICS:
        from rd4ad.files.errors import RD4ADError

        raise RD4ADError(f"cpu numerics {mode!r}: choose one of {', '.join(CPU_NUMERICS)}")
    if mode == "pinned":
        pin_cpu_numerics()


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, ``platform.processor()`` elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_vector_isa() -> list[str]:
    """The CPU's vector extensions that kernels dispatch on (from ``/proc/cpuinfo`` flags)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            flags = next((line.split(":", 1)[1].split() for line in info if line.startswith("flags")), [])
    except OSError:
        flags = []
    return sorted(f for f in flags if f in VECTOR_FLAGS)


def numerics_record(mode: str) -> dict:
    """What determined this process's float results: torch, CPU, kernel choices, threads."""
    import torch

    return {
        "cpu_numerics": mode,
        "torch": str(torch.__version__),
        "machine": platform.machine(),
        "cpu": cpu_model(),
        "cpu_vector_isa": cpu_vector_isa(),
        "aten_capability": torch.backends.cpu.get_cpu_capability(),
        "mkldnn": bool(torch.backends.mkldnn.enabled),
        "nnpack": bool(torch.backends.nnpack.is_available() and torch._C._get_nnpack_enabled()),
        "threads": torch.get_num_threads(),
        "env": {k: os.environ[k] for k in KERNEL_ENV if k in os.environ},
    }
