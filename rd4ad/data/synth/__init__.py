"""Synthetic MVTec-format set (offline demo data): textures from scikit-image, a drawn tile texture, drawn objects,
defects with exact pixel masks, written in the MVTec folder layout."""

from rd4ad.data.synth.generator import CATEGORIES, SynthConfig, generate

__all__ = ["CATEGORIES", "SynthConfig", "generate"]
