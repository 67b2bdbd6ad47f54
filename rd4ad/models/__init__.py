"""RD4AD model: frozen teacher, one-class bottleneck, student decoder, teacher weight resolution."""

from rd4ad.models.bottleneck import BOTTLENECKS
from rd4ad.models.decoder import DECODER_BLOCKS
from rd4ad.models.encoder import BACKBONES
from rd4ad.models.rd4ad import RD4AD, build_model
from rd4ad.models.weights import download_teacher_weights, load_teacher_state_dict, teacher_weights_file

__all__ = ["BACKBONES", "BOTTLENECKS", "DECODER_BLOCKS", "RD4AD", "build_model",
           "download_teacher_weights", "load_teacher_state_dict", "teacher_weights_file"]
