"""`constant`: multiplier 1 at every step."""

from __future__ import annotations

from typing import ClassVar, Literal

from ddpm_kit.registry import LRScheduleSpec
from ddpm_kit.components.lr_schedules.base import IMPL_FUNCTION, check_step


class ConstantLRSpec(LRScheduleSpec):
    """Constant multiplier 1: the learning rate is the optimizer's lr throughout."""

    name: Literal["constant"] = "constant"
    impl: ClassVar[str] = IMPL_FUNCTION

    def multiplier_reference(self, step: int) -> float:
        check_step(step)
        return 1.0
