"""RD4AD model: frozen teacher, one-class bottleneck, student decoder, teacher weights, the distillation loss.

Imports: ``rd4ad.files``.
"""

from rd4ad.models.bottleneck import BOTTLENECKS, MFF_FUSES
from rd4ad.models.decoder import DECODER_BLOCKS
from rd4ad.models.encoder import BACKBONES
from rd4ad.models.loss import LOSSES, distillation_loss
from rd4ad.models.network import RD4AD, build_model
from rd4ad.models.weights import download_teacher_weights, load_teacher_state_dict, teacher_weights_file

__all__ = ["BACKBONES", "BOTTLENECKS", "DECODER_BLOCKS", "LOSSES", "MFF_FUSES", "RD4AD", "build_model", "distillation_loss",
           "download_teacher_weights", "load_teacher_state_dict", "teacher_weights_file"]
