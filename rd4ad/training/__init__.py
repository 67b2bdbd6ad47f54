"""Training RD4AD: run configuration, loss (Eq. 1–2 and the public code's), loop with resume."""
