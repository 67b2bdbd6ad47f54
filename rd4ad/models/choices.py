"""What a run may name of the model, without importing torch: planning checks every run against
these (rd4ad/contract/run.py) before any job starts. The modules that build the model key their
implementations by the same names (tests/test_models.py checks that they agree)."""

# Whose model and training loop a run uses: this suite's (rd4ad/models, rd4ad/training) or anomalib's
# ReverseDistillation trained by its Engine (rd4ad/anomalib_rd, an optional extra).
IMPLEMENTATIONS = ("rd4ad", "anomalib")
BACKBONE_NAMES = ("resnet18", "resnet50", "wide_resnet50_2")  # teachers of Table 6
BOTTLENECKS = ("pre", "pre+oce", "pre+oce+mff")  # the Table 5 ablation of the OCBE
MFF_FUSES = ("code", "paper")
DECODER_BLOCK_KINDS = ("code", "supplement")  # the public code's [3,4,6], supplement Table 1's [6,4,3]
LOSS_NAMES = ("flat", "eq2")
# The bottleneck sees the image at stride 32 and the decoder doubles three times back to the
# teacher's strides 16, 8, 4: the student's features match the teacher's only when the image
# side is a multiple of 32.
IMAGE_STRIDE = 32
