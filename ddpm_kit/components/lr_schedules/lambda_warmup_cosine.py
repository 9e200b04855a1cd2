"""`lambda_warmup_cosine`: CompVis LambdaWarmUpCosineScheduler."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ddpm_kit.registry import LRScheduleSpec
from ddpm_kit.components.lr_schedules.base import (
    IMPL_FUNCTION, check_step, cosine_decay, linear_warmup, Multiplier, Steps,
)


class LambdaWarmUpCosineSpec(LRScheduleSpec):
    """CompVis LambdaWarmUpCosineScheduler: linear warm-up lr_start -> lr_max, then cosine to lr_min.

    n < W: lr_start + (lr_max - lr_start) n / W; else tau = min((n - W) / (M - W), 1) and
    lr_min + (lr_max - lr_min)(1 + cos(pi tau)) / 2, held at lr_min after M = max_decay_steps.
    Source: CompVis/latent-diffusion ``ldm/lr_scheduler.py``.
    """

    name: Literal["lambda_warmup_cosine"] = "lambda_warmup_cosine"
    warm_up_steps: Steps = Field(description="W, steps of linear warm-up")
    lr_min: Multiplier = Field(description="multiplier reached at max_decay_steps and held")
    lr_max: Multiplier = Field(description="multiplier at the end of the warm-up")
    lr_start: Multiplier = Field(description="multiplier at step 0")
    max_decay_steps: Steps = Field(description="M, step where the cosine reaches lr_min (M > W)")
    verbosity_interval: Steps = Field(0, description="log the multiplier every this many steps (0: never)")
    impl: ClassVar[str] = IMPL_FUNCTION

    @model_validator(mode="after")
    def _decay_after_warmup(self) -> LambdaWarmUpCosineSpec:
        if self.max_decay_steps <= self.warm_up_steps:
            raise ValueError(
                f"max_decay_steps ({self.max_decay_steps}) must exceed warm_up_steps ({self.warm_up_steps}); "
                f"upstream divides by their difference (ZeroDivisionError when equal)"
            )
        return self

    def multiplier_reference(self, step: int) -> float:
        check_step(step)
        if step < self.warm_up_steps:
            return linear_warmup(step, self.warm_up_steps, self.lr_start, self.lr_max)
        return cosine_decay(step, self.warm_up_steps, self.max_decay_steps, self.lr_min, self.lr_max)
