"""How a job runs on a machine: the device, GPU slots, CPU numerics (native / pinned),
precision (fp32 / tf32 / bf16) and the fast path.

Imports: ``rd4ad.files``.
"""
