"""RD4AD model: frozen teacher, one-class bottleneck, student decoder, teacher weights, the distillation loss.

The names below load their module (and torch) on first use (``lazy_loader``), so that
``rd4ad.models.choices`` is read at planning time without torch.

Imports: ``rd4ad.files``.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "bottleneck": ["BOTTLENECKS", "MFF_FUSES"],
        "decoder": ["DECODER_BLOCKS"],
        "encoder": ["BACKBONES"],
        "loss": ["LOSSES", "distillation_loss"],
        "network": ["RD4AD", "build_model", "random_model"],
        "weights": ["download_teacher_weights", "load_teacher_state_dict", "teacher_weights_file"],
    },
)
