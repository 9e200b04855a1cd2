"""The torch implementation of loss ``huber`` (shared shape check and reduction in ``base_impl``)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from ddpm_kit.components.losses.base_impl import PerSampleLoss, check_shapes, per_sample_mean
from ddpm_kit.components.losses.huber import HuberLoss


def huber_loss(spec: HuberLoss) -> PerSampleLoss:
    """0.5 r^2 for |r| <= delta else delta (|r| - 0.5 delta), per-sample mean."""
    delta = spec.delta

    def loss(prediction: Tensor, target: Tensor) -> Tensor:
        check_shapes(prediction, target)
        return per_sample_mean(F.huber_loss(prediction, target, reduction="none", delta=delta))

    return loss
