"""What a run may name of its data, without importing torch (checked at planning time)."""

LOADERS = ("mvtec", "mnist", "fmnist", "cifar10", "caltech256", "digits", "visa", "folder", "loco", "mvtec_ad2")
PROTOCOL_KEYS = (
    "n_inlier_categories",
    "outlier_ratio",
    "train_per_category",
    "protocol_seed",
)  # Caltech-256 split knobs
