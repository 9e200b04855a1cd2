"""Per-sample losses: ``impl(spec)`` returns ``(prediction, target) -> Tensor[B]``.

Element-wise error, then the mean over every non-batch axis (CompVis ``get_loss(..., mean=False)
.mean([1, 2, 3])``, for any rank). Unlike upstream, which lets torch broadcast a shape mismatch with only a
UserWarning, a mismatch is an error. Formulas are in ``ddpm_kit.specs.losses``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch.nn.functional as F
from torch import Tensor

from ddpm_kit.specs.losses.huber import HuberLoss
from ddpm_kit.specs.losses.l1 import L1Loss
from ddpm_kit.specs.losses.l2 import L2Loss

PerSampleLoss = Callable[[Tensor, Tensor], Tensor]


def _check_shapes(prediction: Tensor, target: Tensor) -> None:
    if prediction.shape != target.shape:
        raise ValueError(
            f"prediction shape {tuple(prediction.shape)} != target shape {tuple(target.shape)}: the network's "
            "output channels probably do not match the data (torch would broadcast this silently)"
        )
    if prediction.dim() < 1:
        raise ValueError("prediction must have a batch axis")


def per_sample_mean(elementwise: Tensor) -> Tensor:
    """Mean over every axis but the first: [B, ...] -> [B] (for 4-D exactly upstream's ``.mean([1, 2, 3])``)."""
    if elementwise.dim() == 1:
        return elementwise
    return elementwise.mean(dim=tuple(range(1, elementwise.dim())))


def l2_loss(spec: L2Loss) -> PerSampleLoss:
    """(target - prediction)^2, per-sample mean."""

    def loss(prediction: Tensor, target: Tensor) -> Tensor:
        _check_shapes(prediction, target)
        return per_sample_mean(F.mse_loss(target, prediction, reduction="none"))

    return loss


def l1_loss(spec: L1Loss) -> PerSampleLoss:
    """|target - prediction|, per-sample mean."""

    def loss(prediction: Tensor, target: Tensor) -> Tensor:
        _check_shapes(prediction, target)
        return per_sample_mean((target - prediction).abs())

    return loss


def huber_loss(spec: HuberLoss) -> PerSampleLoss:
    """0.5 r^2 for |r| <= delta else delta (|r| - 0.5 delta), per-sample mean."""
    delta = spec.delta

    def loss(prediction: Tensor, target: Tensor) -> Tensor:
        _check_shapes(prediction, target)
        return per_sample_mean(F.huber_loss(prediction, target, reduction="none", delta=delta))

    return loss

