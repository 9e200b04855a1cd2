"""scikit-learn's bundled 8x8 handwritten digits as [1, S, S] images in [-1, 1] with int64 labels."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ddpm_kit.components.data.base import CHANNELS_FIRST
from ddpm_kit.components.data.base_impl import DataSplits, split_tensors
from ddpm_kit.components.data.digits import DigitsSpec

#: largest pixel value of the bundled digits (16 grey levels + 1)
DIGITS_MAX = 16.0
NATIVE_SIZE = 8


def resize_images(images: Tensor, size: int, interpolation: str) -> Tensor:
    """[N, C, h, w] -> [N, C, size, size]; bilinear is antialiased when shrinking, nearest is ``nearest-exact``."""
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    if interpolation == "nearest":
        return F.interpolate(images, size=(size, size), mode="nearest-exact")
    shrinking = size < min(images.shape[-2:])
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False, antialias=shrinking)


def build_digits(spec: DigitsSpec) -> DataSplits:
    """Load, filter by ``classes``, scale x / 8 - 1, resize and split the digits."""
    from sklearn.datasets import load_digits  # heavy import, only when the source is used

    bunch = load_digits()
    images = torch.as_tensor(bunch.images, dtype=torch.float32)  # [1797, 8, 8], values 0..16
    labels = torch.as_tensor(bunch.target, dtype=torch.int64)  # [1797]
    if spec.classes is not None:
        keep = torch.isin(labels, torch.tensor(spec.classes, dtype=torch.int64))
        images, labels = images[keep], labels[keep]
    images = images / (DIGITS_MAX / 2) - 1.0  # [N, 8, 8] in [-1, 1]
    images = resize_images(images.unsqueeze(1), spec.image_size, spec.interpolation)  # [N, 1, S, S]
    images = images.clamp_(-1.0, 1.0).contiguous()  # only rounding can leave the range (bilinear is convex)
    return split_tensors(
        {spec.image_key: images, spec.label_key: labels}, spec.val_fraction, spec.split_seed, CHANNELS_FIRST
    )
