"""`l2`: squared error (CompVis `l2`, the DDPM simple loss)."""

from __future__ import annotations

from typing import ClassVar, Literal

from ddpm_kit.components.losses.base import IMPL_PACKAGE
from ddpm_kit.registry import LossSpec


class L2Loss(LossSpec):
    """Squared error (CompVis `l2`): L_b = mean over non-batch axes of (target - prediction)^2.

    Source: CompVis ``DDPM.get_loss`` (``mse_loss(..., reduction="none")``); Ho et al. 2020's L_simple.
    """

    name: Literal["l2"] = "l2"
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.l2_impl:l2_loss"
