"""rd4ad-repro: a reproducibility suite for RD4AD (Deng & Li, CVPR 2022)."""

__version__ = "0.1.0"
