"""`warmup_cosine`: linear warm-up then cosine decay to a floor ratio."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from ddpm_kit.registry import LRScheduleSpec
from ddpm_kit.components.lr_schedules.base import IMPL_FUNCTION, check_step, cosine_decay, Steps


class WarmupCosineSpec(LRScheduleSpec):
    """Linear warm-up then cosine decay to min_ratio: the common modern default.

    n < W: n / W (0 at the first step, as in HF transformers' get_cosine_schedule_with_warmup);
    then p = min((n - W) / (N - W), 1) and min_ratio + (1 - min_ratio)(1 + cos(pi p)) / 2, held at
    min_ratio after N = total_steps. Source: Loshchilov & Hutter 2017 (SGDR), Goyal et al. 2017 (warm-up).
    """

    name: Literal["warmup_cosine"] = "warmup_cosine"
    warmup_steps: Steps = Field(0, description="W, steps of linear warm-up from 0")
    total_steps: Annotated[int, Field(ge=1)] = Field(description="N, step where the cosine reaches min_ratio")
    min_ratio: float = Field(0.0, ge=0.0, le=1.0, description="final multiplier, as a fraction of the peak")
    impl: ClassVar[str] = IMPL_FUNCTION

    @model_validator(mode="after")
    def _decay_after_warmup(self) -> WarmupCosineSpec:
        if self.total_steps <= self.warmup_steps:
            raise ValueError(f"total_steps ({self.total_steps}) must exceed warmup_steps ({self.warmup_steps})")
        return self

    def multiplier_reference(self, step: int) -> float:
        check_step(step)
        if step < self.warmup_steps:
            return step / self.warmup_steps
        return cosine_decay(step, self.warmup_steps, self.total_steps, self.min_ratio, 1.0)
