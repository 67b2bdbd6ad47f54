"""Complexity of the detector (paper Table 3): seconds per image at batch 1, memory, FLOPs.

The paper times its detector on an Intel i7 CPU (§4.2, Table 3), so the CPU is always
measured and is the figure compared with the paper's; on a machine with a GPU the GPU is
measured as well and reported beside it. What is measured (the paper does not say what its
"0.31 s, 352 MB" include):

* ``infer_s``: median wall time of the whole per-image pipeline at batch 1 — uint8 image
  on the device → ToTensor/normalise → teacher + bottleneck + student → the three maps
  M_k (Eq. 3), upsampled, summed, Gaussian σ = 4 → image score (max). On CUDA each
  timing ends with a synchronisation.
* ``memory_mb``: weights (parameters + buffers) plus the extra memory the first batch-1
  inference takes at its peak. On CUDA that is ``torch.cuda.max_memory_allocated`` with
  the model on the device (allocator view). On CPU it is the exact weight bytes plus the
  peak resident-set growth (``VmHWM`` − ``VmRSS`` from ``/proc/self/status``, the peak
  reset through ``/proc/self/clear_refs`` just before the inference) — an OS view that
  includes allocator slack, Linux only.
"""

from __future__ import annotations

import platform
import statistics
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from rd4ad.files.errors import RD4ADError
from rd4ad.machine.precision import autocast, tf32_as
from rd4ad.models import distillation_loss
from rd4ad.models.inputs import to_model_input
from rd4ad.scoring import HEADLINE, LEVEL_SUBSETS, level_maps, subset_scores

MB = 2**20
_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def device_name(device: torch.device) -> str:
    """The machine in words: the GPU's name, or the CPU model and its core count."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpuinfo = Path("/proc/cpuinfo")
    names = (
        [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        if cpuinfo.is_file()
        else []
    )
    return f"{names[0] if names else platform.processor() or platform.machine()} ({torch.get_num_threads()} threads)"


def weight_mb(model: torch.nn.Module) -> float:
    """Bytes of all parameters and buffers, in MiB."""
    tensors = list(model.parameters()) + list(model.buffers())
    return sum(t.numel() * t.element_size() for t in tensors) / MB


@torch.inference_mode()
def score_image(
    model: torch.nn.Module, image: torch.Tensor, normalize: bool = True, precision: str = "fp32"
) -> torch.Tensor:
    """Image score (max of the smoothed Eq. 3 map) of one uint8 (1, 3, S, S) image on the model's device,
    the network at ``precision`` (rd4ad/machine/precision.py), the maps in float32."""
    with tf32_as(precision), autocast(precision, image.device):
        feats_e, feats_d = model(to_model_input(image, normalize))
    maps = level_maps([f.float() for f in feats_e], [f.float() for f in feats_d], image.shape[-1])
    return subset_scores(maps, LEVEL_SUBSETS[HEADLINE], "max")[1]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def inference_seconds(
    model: torch.nn.Module, image_size: int, device: torch.device, repeats: int, warmup: int, precision: str = "fp32"
) -> float:
    """Median seconds per image of :func:`score_image` at batch 1 after ``warmup`` untimed calls."""
    if repeats < 1 or warmup < 0:
        raise RD4ADError(f"complexity: need repeats >= 1 and warmup >= 0 (got {repeats}, {warmup})")
    model.eval()
    image = torch.randint(0, 256, (1, 3, image_size, image_size), dtype=torch.uint8, device=device)
    for _ in range(warmup):
        score_image(model, image, precision=precision)
    _sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        score_image(model, image, precision=precision)
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _status_kb(key: str) -> int:
    line = next(x for x in _STATUS.read_text().splitlines() if x.startswith(key + ":"))
    return int(line.split()[1])


def peak_memory_mb(model: torch.nn.Module, image_size: int, device: torch.device, precision: str = "fp32") -> float:
    """Weights + peak extra memory of the first batch-1 inference, MiB (see the module docstring)."""
    model.eval()
    image = torch.randint(0, 256, (1, 3, image_size, image_size), dtype=torch.uint8, device=device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        score_image(model, image, precision=precision)
        torch.cuda.synchronize(device)
        return torch.cuda.max_memory_allocated(device) / MB
    if not _CLEAR_REFS.exists():
        raise RD4ADError(
            "complexity: CPU memory is measured through /proc/self (Linux); run on Linux or on a CUDA device"
        )
    _CLEAR_REFS.write_text("5")
    before = _status_kb("VmRSS")
    score_image(model, image, precision=precision)
    return weight_mb(model) + max(_status_kb("VmHWM") - before, 0) / 1024


MEMORY_MEASURES = {"cuda": "torch.cuda.max_memory_allocated", "cpu": "weights + peak RSS growth of the first inference"}


def measure_inference(
    model: torch.nn.Module, image_size: int, device: torch.device, repeats: int, warmup: int, precision: str = "fp32"
) -> dict:
    """Table 3's two figures on ``device`` (the model is moved there) at ``precision``, with the device, the
    precision and the memory measure named."""
    model = model.to(device).eval()
    memory = peak_memory_mb(model, image_size, device, precision)
    seconds = inference_seconds(model, image_size, device, repeats, warmup, precision)
    return {
        "device": device_name(device),
        "device_type": device.type,
        "infer_s": round(seconds, 5),
        "memory_mb": round(memory, 1),
        "memory_measure": MEMORY_MEASURES[device.type],
        "precision": precision,
    }


def training_flops_per_image(model: torch.nn.Module, image_size: int, loss: str) -> int:
    """FLOPs (2 per multiply-add, torch's FlopCounterMode) of one training image-step: forward + backward.

    Counted on a batch of 2 (BatchNorm in train mode needs more than one value per channel), halved.
    """
    was_training = model.training
    model.train()
    device = next(model.parameters()).device
    x = torch.zeros(2, 3, image_size, image_size, device=device)
    with FlopCounterMode(display=False) as counter:
        feats_e, feats_d = model(x)
        distillation_loss(feats_e, feats_d, loss).backward()
    model.zero_grad(set_to_none=True)
    model.train(was_training)
    return int(counter.get_total_flops()) // 2
