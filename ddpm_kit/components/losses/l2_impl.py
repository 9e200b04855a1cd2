"""The torch implementation of loss ``l2`` (shared shape check and reduction in ``base_impl``)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from ddpm_kit.components.losses.base_impl import PerSampleLoss, check_shapes, per_sample_mean
from ddpm_kit.components.losses.l2 import L2Loss


def l2_loss(spec: L2Loss) -> PerSampleLoss:
    """(target - prediction)^2, per-sample mean."""

    def loss(prediction: Tensor, target: Tensor) -> Tensor:
        check_shapes(prediction, target)
        return per_sample_mean(F.mse_loss(target, prediction, reduction="none"))

    return loss
