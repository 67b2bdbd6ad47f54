"""How a run may reduce its anomaly map to an image score, without importing torch."""

REDUCTIONS = ("max", "sum")  # image score: S_AD = max of the map (MVTec), sum for novelty detection
