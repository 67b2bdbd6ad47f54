"""How a run may reduce its anomaly map to an image score, without importing torch."""

REDUCTIONS = ("max", "sum")  # image score: S_AD = max of the map (MVTec), sum for novelty detection
# the Gaussian smoothing's border: scipy's "reflect" repeats the edge pixel (the public code's
# gaussian_filter), kornia's (anomalib's) does not (numpy / torch "reflect", scipy's "mirror")
MAP_BORDERS = ("scipy", "kornia")
