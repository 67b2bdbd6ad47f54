"""Evaluation: checkpoint + test split → image scores, metrics for every level subset (Table 7)."""
