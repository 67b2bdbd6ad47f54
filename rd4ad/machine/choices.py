"""The precisions a run may ask for (rd4ad/machine/precision.py), without importing torch."""

PRECISIONS = ("fp32", "tf32", "bf16")
LABELS = {"fp32": "fp32 (TF32 off)", "tf32": "fp32 with TF32 on CUDA", "bf16": "bf16 autocast, fp32 weights"}
