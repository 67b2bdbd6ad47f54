"""Small replicas of VisA, MVTec LOCO AD, MVTec AD 2 and one's own images (``python -m rd4ad replica``):
each dataset's real layout, file names, image formats and mask encodings, filled with the synthetic
generator's images and defects (``rd4ad.data.synth.generator.sample``), so that the demo's detectors
have real defects to find and the loaders read them as they read the real datasets. Their numbers
say nothing about the real datasets.
"""

from rd4ad.data.replicas.write import LOADERS, ReplicaConfig, replica_sizes, write_replica

__all__ = ["LOADERS", "ReplicaConfig", "replica_sizes", "write_replica"]
