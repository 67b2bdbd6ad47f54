"""Measure Table 3 for one variant: inference seconds per image (batch 1) and memory.

The measurement comes whole, as the JSON of a planned one (an entry of "complexity" in
<results>/plan.json: the run, its repeats and warm-up calls, from the config's `complexity:`).
Writes <results>/<dataset>/complexity/<variant>.json: the CPU figures, which the paper's
(Intel i7 CPU) are compared with — {"device", "infer_s", "memory_mb", "memory_measure", …} —
and, when a GPU is used (--device auto on a CUDA machine, or cuda), the same under "gpu". See
rd4ad/evaluation/complexity.py for exactly what is timed and which memory is counted (CUDA: allocator
peak; CPU: weights + peak resident-set growth). Weights do not change the cost, so no trained
model is needed.
"""

from __future__ import annotations

import argparse
import json

import torch

from rd4ad.builders.model import build_model
from rd4ad.cli.train import add_execution_arguments, apply_execution, parse_json
from rd4ad.contract.layout import complexity_file
from rd4ad.evaluation.complexity import measure_inference, weight_mb
from rd4ad.files.io import atomic_write_json
from rd4ad.files.paths import writable_file
from rd4ad.machine.device import resolve_device
from rd4ad.machine.precision import apply_precision
from rd4ad.planning.plan import Measurement


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--measurement-json",
        required=True,
        help='the measurement: {"run": RunConfig, "repeats": R, "warmup": W} as JSON',
    )
    add_execution_arguments(parser)


def run(args: argparse.Namespace) -> int:
    measurement = Measurement.from_dict(parse_json(args.measurement_json, "--measurement-json"))
    run_cfg = measurement.run
    out = writable_file(complexity_file(args.results, run_cfg.dataset, run_cfg.variant))
    apply_execution(args)
    device = resolve_device(args.device)
    apply_precision(f"complexity {run_cfg.dataset}/{run_cfg.variant}", run_cfg.precision, device)
    torch.manual_seed(run_cfg.seed)
    model = build_model(run_cfg, args.cache_dir)
    size, repeats, warmup = run_cfg.image_size, measurement.repeats, measurement.warmup
    result = {
        **measure_inference(model, size, torch.device("cpu"), repeats, warmup),
        "weights_mb": round(weight_mb(model), 1),
        "batch_size": 1,
        "image_size": size,
        "backbone": run_cfg.backbone,
        "variant": run_cfg.variant,
        "repeats": repeats,
        "torch": torch.__version__,
    }
    if device.type == "cuda":
        result["gpu"] = measure_inference(model, size, device, repeats, warmup, run_cfg.precision)
    atomic_write_json(out, result)
    print(json.dumps(result))
    return 0
