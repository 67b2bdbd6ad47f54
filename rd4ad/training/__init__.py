"""Training RD4AD: the loop, with per-epoch resume checkpoints and the every-N-epochs test audit."""
