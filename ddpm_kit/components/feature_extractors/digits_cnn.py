"""`digits_cnn`: a small classifier of scikit-learn's 8x8 digits whose penultimate layer gives the features."""

from __future__ import annotations

from typing import ClassVar, Literal

from ddpm_kit.registry import FeatureExtractorSpec

IMPL = "ddpm_kit.components.feature_extractors.digits_cnn_impl:DigitsCNN"
#: the shipped weights (package data of ddpm_kit.components.feature_extractors) and what they were checked to be
WEIGHTS_FILE = "weights/digits_cnn.safetensors"
WEIGHTS_SHA256 = "8dec92daed1772baec7c1b6d7d96ddf3d1d82a212b0ad44ba8e059f703792d99"
#: accuracy on the held-out 20% of scikit-learn's digits (stratified, seed 0) that the training never saw
HELD_OUT_ACCURACY = 0.9778  # 352 of 360
FEATURE_DIM = 64
CLASSES = 10


class DigitsCNNSpec(FeatureExtractorSpec):
    """A frozen digit classifier for 1x8x8 images in [-1, 1] (the ``digits`` data source's scaling x / 8 - 1).

    conv3x3(1->32) SiLU, conv3x3 stride 2 (32->64) SiLU, linear(1024->64) SiLU = features [B, 64],
    linear(64->10) softmax = class probabilities [B, 10]. No resizing and no channel conversion: other shapes are
    refused. Trained by ``python -m ddpm_kit.components.feature_extractors.train_digits_cnn_impl`` (seeded, one
    thread, +-1 pixel shifts) on 80% of the 1,797 digits; the held-out 20% score ``HELD_OUT_ACCURACY``. Each image
    is evaluated on its own, so features do not depend on the batch. The weights file's sha256 is checked at load.
    """

    name: Literal["digits_cnn"] = "digits_cnn"
    impl: ClassVar[str] = IMPL

    def feature_dim(self) -> int:
        return FEATURE_DIM

    def num_classes(self) -> int | None:
        return CLASSES

    def check_input(self, channels: int, height: int, width: int) -> list[str]:
        if (channels, height, width) != (1, 8, 8):
            return [f"digits_cnn takes 1x8x8 grey digits, not {channels}x{height}x{width} images (it neither resizes "
                    "nor converts channels); use inception_fid for other images"]
        return []

    def example_input_shape(self) -> tuple[int, int, int]:
        return (1, 8, 8)

    def weights_identity(self) -> str:
        return f"sha256:{WEIGHTS_SHA256}"
