"""What the per-sample losses share: ``impl(spec)`` returns ``(prediction, target) -> Tensor[B]``.

Element-wise error, then the mean over every non-batch axis (CompVis ``get_loss(..., mean=False)
.mean([1, 2, 3])``, for any rank). Unlike upstream, which lets torch broadcast a shape mismatch with only a
UserWarning, a mismatch is an error. Formulas are in ``ddpm_kit.components.losses``.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

PerSampleLoss = Callable[[Tensor, Tensor], Tensor]


def check_shapes(prediction: Tensor, target: Tensor) -> None:
    """ValueError unless prediction and target have one shape with a batch axis."""
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
