"""Benchmark: Table 3's complexity of our model — seconds/image at batch 1 and memory, per device.

Measures ``wide_resnet50_2`` at 256 px (the paper's Table 3 setting; weights do not change the
cost, so a random teacher is used) on the CPU and, when present, on CUDA, with the device
named; what is timed and counted is documented in ``rd4ad/evaluation/complexity.py``. The paper reports
0.31 s/image and 352 MB on an Intel i7. Run: ``python benchmarks/bench_infer.py [--repeats 10]``.
"""

from __future__ import annotations

import argparse

import torch
from public_loop import public_code_model

from rd4ad.evaluation.complexity import device_name, inference_seconds, peak_memory_mb, weight_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="wide_resnet50_2")
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    print(f"{args.backbone} {args.image_size}px, batch 1; paper (Intel i7): 0.31 s/image, 352 MB")
    for device in devices:
        model = public_code_model(args.backbone).to(device).eval()
        memory = peak_memory_mb(model, args.image_size, device)
        seconds = inference_seconds(model, args.image_size, device, args.repeats, args.warmup)
        print(
            f"{device_name(device)}: {seconds:.4f} s/image (median of {args.repeats}), "
            f"memory {memory:.0f} MiB (weights {weight_mb(model):.0f} MiB + inference peak)"
        )


if __name__ == "__main__":
    main()
