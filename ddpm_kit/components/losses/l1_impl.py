"""The torch implementation of loss ``l1`` (shared shape check and reduction in ``base_impl``)."""

from __future__ import annotations

from torch import Tensor

from ddpm_kit.components.losses.base_impl import PerSampleLoss, check_shapes, per_sample_mean
from ddpm_kit.components.losses.l1 import L1Loss


def l1_loss(spec: L1Loss) -> PerSampleLoss:
    """|target - prediction|, per-sample mean."""

    def loss(prediction: Tensor, target: Tensor) -> Tensor:
        check_shapes(prediction, target)
        return per_sample_mean((target - prediction).abs())

    return loss
