"""`l1`: absolute error (CompVis `l1`)."""

from __future__ import annotations

from typing import ClassVar, Literal

from ddpm_kit.components.losses.base import IMPL_PACKAGE
from ddpm_kit.registry import LossSpec


class L1Loss(LossSpec):
    """Absolute error (CompVis `l1`): L_b = mean over non-batch axes of |target - prediction|.

    Source: CompVis ``DDPM.get_loss`` (``(target - pred).abs()``).
    """

    name: Literal["l1"] = "l1"
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.l1_impl:l1_loss"
