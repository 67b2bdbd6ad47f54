"""The checks ``python -m rd4ad doctor`` runs before a workflow: each returns ``Check`` lines.

A check is ``ok``, ``warn`` (the run works but not as planned: slower, emulated, fetched) or ``fail``
(a job will fail: fix it first), with the fix. Machine: the torch and CUDA builds, each GPU (memory,
native bf16, TF32), the CPU's kernels and the numerics the config asks for, ``jobs_per_gpu``
against GPU memory. Plan: free disk where results and resources go against what the plan still
needs, each dataset role (prepared and validated, or where it will come from), the teacher files,
the optional extra of each planned implementation (anomalib), a SLURM controller when the SLURM profile will be used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rd4ad.contract.layout import Resources
from rd4ad.data.sizes import dataset_megabytes
from rd4ad.data.validate import RECORD
from rd4ad.implementations.registry import IMPLEMENTATIONS, implementation_of
from rd4ad.implementations.strategy import Implementation
from rd4ad.machine.gpu_slots import visible_gpus
from rd4ad.machine.numerics import cpu_vector_isa
from rd4ad.models.teachers import resolve_teacher
from rd4ad.planning.plan import Plan

STATUSES = ("ok", "warn", "fail")
GPU_JOB_GB = 20.0  # one paper-shape train job (WRN50, 256 px, batch 16) without a CUDA estimate: 4 fit 80 GB
HEADROOM = 1.2  # free disk asked beyond the estimate, and GPU memory beyond the jobs' peaks


@dataclass(frozen=True)
class Check:
    """One line of the doctor's screen."""

    status: str
    name: str
    detail: str
    fix: str = ""

    def __str__(self) -> str:
        fix = f" → {self.fix}" if self.fix and self.status != "ok" else ""
        return f"{self.status:<4} {self.name}: {self.detail}{fix}"


def torch_build() -> list[Check]:
    """The torch build, and a CPU-only build on a machine with NVIDIA GPUs."""
    import torch

    cuda = torch.version.cuda
    detail = f"torch {torch.__version__}, " + (
        f"CUDA {cuda}, cuDNN {torch.backends.cudnn.version()}" if cuda else "CPU-only build"
    )
    if cuda is None and visible_gpus():
        return [
            Check(
                "fail",
                "torch",
                detail + f"; but {len(visible_gpus())} NVIDIA GPU(s) are visible",
                "install a CUDA build of torch (https://pytorch.org/get-started/locally/)",
            )
        ]
    return [Check("ok", "torch", detail)]


def gpus(plan: Plan) -> list[Check]:
    """One line per GPU (name, memory, native bf16, TF32), or the one line saying there is none."""
    import torch

    precisions = {p.run.precision for p in plan.runs.values()}
    if not torch.cuda.is_available():
        visible = visible_gpus()
        if visible:
            return [
                Check(
                    "fail",
                    "gpu",
                    f"{len(visible)} NVIDIA GPU(s) visible but CUDA cannot start: every job given a GPU slot fails",
                    "fix the driver / CUDA build of torch, or hide the GPUs (CUDA_VISIBLE_DEVICES=) to run on the CPU",
                )
            ]
        status = "ok" if plan.demo else "warn"
        return [
            Check(
                status,
                "gpu",
                "no GPU: every job runs on the CPU",
                "the paper config needs GPUs (days on a CPU); run it on a CUDA machine",
            )
        ]
    out = []
    for index in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(index)
        bf16 = (
            torch.cuda.is_bf16_supported(including_emulation=False)
            if index == torch.cuda.current_device()
            else props.major >= 8
        )
        tf32 = props.major >= 8
        detail = (
            f"{index}: {props.name}, {props.total_memory / 2**30:.0f} GiB, compute {props.major}.{props.minor}, "
            f"bf16 {'native' if bf16 else 'emulated'}, TF32 {'yes' if tf32 else 'no (tf32 runs as fp32)'}"
        )
        if "bf16" in precisions and not bf16:
            out.append(Check("warn", "gpu", detail, "bf16 variants are emulated here: set precision: tf32 or fp32"))
        else:
            out.append(Check("ok", "gpu", detail))
    return out


def cpu(plan: Plan) -> list[Check]:
    """The CPU's kernels (ATen capability, vector ISA) and the numerics mode the config asks for."""
    import torch

    from rd4ad.machine.precision import bf16_native

    mode = plan.config["cpu_numerics"]
    detail = (
        f"ATen {torch.backends.cpu.get_cpu_capability()}, ISA {' '.join(cpu_vector_isa()) or 'unknown'}, "
        f"cpu_numerics {mode}, {torch.get_num_threads()} threads"
    )
    cpu_bf16 = not torch.cuda.is_available() and any(p.run.precision == "bf16" for p in plan.runs.values())
    if cpu_bf16 and (mode == "pinned" or not bf16_native(torch.device("cpu"))):
        return [
            Check(
                "warn",
                "cpu",
                detail + "; bf16 variants are emulated on this CPU (7-25x the fp32 time)",
                "set precision: fp32 for CPU runs (python benchmarks/bench_precision.py measures it)",
            )
        ]
    return [Check("ok", "cpu", detail)]


def jobs_per_gpu(plan: Plan) -> list[Check]:
    """``jobs_per_gpu`` jobs must fit each GPU's memory: the estimate's peak on CUDA, else ``GPU_JOB_GB``."""
    import torch

    jobs = plan.config["jobs_per_gpu"]
    if not torch.cuda.is_available():
        return [
            Check(
                "ok", "jobs_per_gpu", f"{jobs} (no GPU to check it against); run with --resources gpu=<GPUs × {jobs}>"
            )
        ]
    peaks = [e["peak_mb"] / 1024 for e in plan.estimates.values() if e.get("peak_mb")]
    per_job, source = (max(peaks), "the estimate's peak") if peaks else (GPU_JOB_GB, "an assumed paper-shape job")
    memory = min(torch.cuda.get_device_properties(i).total_memory for i in range(torch.cuda.device_count())) / 2**30
    detail = (
        f"{jobs} job(s) × {per_job:.1f} GiB ({source}) on {memory:.0f} GiB; "
        f"run with --resources gpu={torch.cuda.device_count() * jobs}"
    )
    if jobs * per_job * HEADROOM > memory:
        fit = max(1, int(memory / (per_job * HEADROOM)))
        return [Check("fail", "jobs_per_gpu", detail, f"set jobs_per_gpu: {fit} in the run config")]
    return [Check("ok", "jobs_per_gpu", detail)]


def _free_bytes(path: Path) -> int:
    """Free bytes on the file system that holds ``path`` (or its nearest existing parent)."""
    path = path.resolve()
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free


def _prepared(resources: Resources, dataset: str, source: str) -> bool:
    return resources.marker(dataset, source).is_file()


def needed_megabytes(plan: Plan) -> dict[str, float]:
    """MB the plan still writes: datasets not yet prepared (under resources), trained models (results)."""
    resources = Resources(Path(plan.config["resources"]))
    data = sum(
        dataset_megabytes(entry["loader"])
        for name, entry in plan.datasets.items()
        if entry["source"] == "fetch" and not _prepared(resources, name, "fetch")
    )
    models = sum(_student_megabytes(p.run.backbone) for p in plan.runs.values())
    return {"resources": float(data), "results": models}


@cache
def _student_megabytes(backbone: str) -> float:
    """A trained model's file: the student's float32 weights (counted without allocating them)."""
    import torch

    from rd4ad.models import random_model

    with torch.device("meta"):
        model = random_model(backbone)
    return sum(p.numel() for p in model.trainable_parameters()) * 4 / 2**20


def disk(plan: Plan) -> list[Check]:
    """Free disk at results and resources against ``needed_megabytes`` (× ``HEADROOM``)."""
    need = needed_megabytes(plan)
    out = []
    for role, folder in (("resources", plan.config["resources"]), ("results", plan.config["results"])):
        free = _free_bytes(Path(folder)) / 2**20
        detail = f"{folder}: {free / 1024:.1f} GiB free, the plan needs about {need[role] / 1024:.1f} GiB"
        if free < need[role] * HEADROOM:
            out.append(Check("fail", f"disk {role}", detail, f"free space there or point `{role}:` at a bigger disk"))
        else:
            out.append(Check("ok", f"disk {role}", detail))
    return out


def datasets(plan: Plan, *, offline: bool = False) -> list[Check]:
    """Each dataset role: prepared (and validated), or where the workflow will get it from."""
    from rd4ad.data.caltech import ARCHIVE as CALTECH
    from rd4ad.data.loco import ARCHIVE as LOCO
    from rd4ad.data.mvtec import ARCHIVE as MVTEC
    from rd4ad.data.mvtec_ad2 import ARCHIVE as MVTEC_AD2
    from rd4ad.data.visa import ARCHIVE as VISA

    resources = Resources(Path(plan.config["resources"]))
    official = {
        "mvtec": MVTEC.url,
        "caltech256": CALTECH.url,
        "visa": VISA.url,
        "loco": LOCO.url,
        "mvtec_ad2": MVTEC_AD2.url,
    }
    out = []
    for name, entry in plan.datasets.items():
        source, root, what = entry["source"], entry["root"], f"dataset {name}"
        validated = " and validated" if (Path(root) / RECORD).is_file() else ""
        if source == "none":
            out.append(Check("ok", what, f"{entry['loader']}: nothing to prepare"))
        elif _prepared(resources, name, source):
            out.append(Check("ok", what, f"{entry['loader']} prepared ({source}){validated} at {root}"))
        elif source in ("synth", "replica"):
            out.append(Check("ok", what, f"generated at {root} by the workflow's {source} rule"))
        elif source == "local":
            if not Path(root).is_dir():
                out.append(
                    Check(
                        "fail",
                        what,
                        f"source local, but {root} is not a folder",
                        f"copy {entry['loader']} there or set the dataset's root / source: fetch",
                    )
                )
            else:
                out.append(Check("ok", what, f"local copy at {root}, validated by the workflow's use_local rule"))
        else:
            origin = entry.get("mirror") or official.get(entry["loader"], f"torchvision's {entry['loader']} hosts")
            if offline:
                out.append(
                    Check(
                        "fail",
                        what,
                        f"not at {root} and this machine is offline",
                        f"python -m rd4ad fetch {entry['loader']} --root {root} where there is a "
                        f"network, then copy {root} and {resources.marker(name, source)} here",
                    )
                )
            else:
                out.append(
                    Check(
                        "warn",
                        what,
                        f"not yet at {root}: the workflow fetches it from {origin}",
                        "nothing, if this machine reaches it; else set a mirror",
                    )
                )
    return out


def teacher_weights(plan: Plan, *, offline: bool = False) -> list[Check]:
    """The IMAGENET1K_V1 file of each backbone a planned run distils from, or a local .pth file."""
    from rd4ad.models.weights import teacher_weights_file

    resources = Resources(Path(plan.config["resources"]))
    out = []
    for backbone, weights in sorted(
        {
            (p.run.backbone, p.run.teacher_weights)
            for p in plan.runs.values()
            if not resolve_teacher(p.run.teacher_weights).random
        }
    ):
        fetched = resolve_teacher(weights).downloads
        path = teacher_weights_file(backbone, resources.weights) if fetched else Path(weights)
        what = f"teacher {backbone}"
        if path.is_file() and path.stat().st_size > 0:
            out.append(Check("ok", what, f"{path}"))
        elif not fetched:
            out.append(
                Check("fail", what, f"{path} is not a file", "give the variant's teacher_weights an existing .pth")
            )
        elif offline:
            out.append(
                Check(
                    "fail",
                    what,
                    f"{path} missing and this machine is offline",
                    f"python -m rd4ad fetch weights --backbone {backbone} --root {path.parent} elsewhere, "
                    "then copy the file here",
                )
            )
        else:
            origin = plan.config["weights_mirror"] or "download.pytorch.org"
            out.append(
                Check(
                    "warn",
                    what,
                    f"{path.name} not yet in {path.parent}: the workflow fetches it from {origin}",
                    "nothing, if this machine reaches it; else set weights_mirror",
                )
            )
    return out or [Check("ok", "teacher", "every planned run uses a random teacher: no files needed")]


def extras(plan: Plan) -> list[Check]:
    """The optional extra of each implementation that has one (anomalib), when a planned run trains with it."""
    used = {implementation_of(p.run) for p in plan.runs.values()}
    return [_extra(i, i in used) for i in IMPLEMENTATIONS.values() if i.extra is not None]


def _extra(implementation: Implementation, used: bool) -> Check:
    extra = implementation.extra
    if not used:
        return Check("ok", extra.name, "no run needs it")
    version = extra.version()
    if version is None:
        why = f"a variant sets implementation: {implementation.name}; {extra.name} is not installed"
        return Check("fail", extra.name, why, extra.install)
    if version != extra.tested:
        return Check("warn", extra.name, f"{version} installed; the suite is tested with {extra.tested}", extra.install)
    return Check("ok", extra.name, version)


def slurm() -> list[Check]:
    """A reachable SLURM controller (``scontrol ping``) and the Snakemake executor plugin."""
    from importlib.util import find_spec

    out = []
    scontrol = shutil.which("scontrol")
    if scontrol is None:
        out.append(
            Check(
                "fail",
                "slurm",
                "scontrol not found: no SLURM client on this machine",
                "run snakemake on a login node of the cluster",
            )
        )
    else:
        ping = subprocess.run(
            [scontrol, "ping"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
            env={**os.environ, "LC_ALL": "C"},
        )
        up = ping.returncode == 0 and "UP" in ping.stdout
        out.append(
            Check(
                "ok" if up else "fail",
                "slurm",
                (ping.stdout or ping.stderr).strip().splitlines()[0]
                if (ping.stdout or ping.stderr).strip()
                else "scontrol ping said nothing",
                "start slurmctld or check the cluster's configuration",
            )
        )
    if find_spec("snakemake_executor_plugin_slurm") is None:
        out.append(
            Check(
                "fail", "slurm plugin", "snakemake-executor-plugin-slurm is not installed", "pip install -e '.[slurm]'"
            )
        )
    return out


def run_checks(plan: Plan, *, offline: bool = False, with_slurm: bool = False) -> list[Check]:
    """Every check, in the order of the screen."""
    checks = [
        *torch_build(),
        *gpus(plan),
        *cpu(plan),
        *jobs_per_gpu(plan),
        *disk(plan),
        *datasets(plan, offline=offline),
        *teacher_weights(plan, offline=offline),
        *extras(plan),
    ]
    return checks + (slurm() if with_slurm else [])
