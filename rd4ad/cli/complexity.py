"""Measure Table 3's complexity of a variant: inference seconds per image (batch 1) and memory.

Writes {"device", "infer_s", "memory_mb", "batch_size", "image_size", "backbone", …}; see
rd4ad/complexity.py for exactly what is timed and which memory is counted (CUDA: allocator
peak; CPU: weights + peak resident-set growth). Weights do not change the cost, so no
trained model is needed.

Example:
  python -m rd4ad complexity --dataset mvtec --category bottle --backbone wide_resnet50_2 \\
      --teacher-weights random --image-size 256 --device cpu --out results/mvtec/complexity/wrn50_256.json
"""

from __future__ import annotations

import argparse
import json

import torch

from rd4ad.arguments import non_negative_int, positive_int
from rd4ad.cli.train import add_execution_arguments, add_run_arguments, apply_execution, run_config_from_args
from rd4ad.complexity import device_name, inference_seconds, peak_memory_mb, weight_mb
from rd4ad.device import resolve_device
from rd4ad.io import atomic_write_json
from rd4ad.paths import writable_file


def configure(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser)
    m = parser.add_argument_group("measurement")
    m.add_argument("--repeats", type=positive_int, default=10, help="timed batch-1 inferences (the median is reported)")
    m.add_argument("--warmup", type=non_negative_int, default=2, help="untimed inferences before timing")
    add_execution_arguments(parser)
    parser.add_argument("--out", required=True, help="complexity JSON to write")


def run(args: argparse.Namespace) -> int:
    run_cfg = run_config_from_args(args)
    writable_file(args.out)
    apply_execution(args)
    device = resolve_device(args.device)
    torch.manual_seed(run_cfg.seed)
    model = run_cfg.build_model().to(device).eval()
    memory = peak_memory_mb(model, run_cfg.image_size, device)
    seconds = inference_seconds(model, run_cfg.image_size, device, repeats=args.repeats, warmup=args.warmup)
    result = {"device": device_name(device), "device_type": device.type, "infer_s": round(seconds, 5),
              "memory_mb": round(memory, 1), "weights_mb": round(weight_mb(model), 1),
              "memory_measure": ("torch.cuda.max_memory_allocated" if device.type == "cuda"
                                 else "weights + peak RSS growth of the first inference"),
              "batch_size": 1, "image_size": run_cfg.image_size, "backbone": run_cfg.backbone,
              "variant": run_cfg.variant, "repeats": args.repeats, "torch": torch.__version__}
    atomic_write_json(args.out, result)
    print(json.dumps(result))
    return 0
