"""`huber`: Huber / smooth-L1 error."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ddpm_kit.components.losses.base import IMPL_PACKAGE
from ddpm_kit.registry import LossSpec


class HuberLoss(LossSpec):
    """Huber error: quadratic below `delta`, linear above; L_b = mean over non-batch axes.

    h(r) = 0.5 r^2 if |r| <= delta else delta (|r| - 0.5 delta), r = target - prediction
    (``torch.nn.functional.huber_loss``; note 0.5 r^2 is half the `l2` error). Source: Huber 1964.
    """

    name: Literal["huber"] = "huber"
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.huber_impl:huber_loss"
    delta: float = Field(1.0, gt=0.0, description="residual size where the loss turns from quadratic to linear")
