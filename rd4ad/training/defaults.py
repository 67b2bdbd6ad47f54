"""Training defaults the planner needs, without importing torch."""

CHECKPOINT_MINUTES = 10.0  # wall time between resume checkpoints (rd4ad/training/checkpoints.py)
