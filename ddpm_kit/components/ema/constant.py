"""`constant`: a fixed decay."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ddpm_kit.components.ema.base import IMPL_PACKAGE, check_step, decay_to_half_life
from ddpm_kit.registry import EMASpec


class ConstantEmaSpec(EMASpec):
    """Fixed decay, no warm-up: shadow <- decay * shadow + (1 - decay) * theta at every update.

    Half-life ln(1/2) / ln(decay) updates (0.9999 ~ 6931 steps). Source: Polyak averaging as used by
    Ho et al. 2020 (DDPM, decay 0.9999).
    """

    name: Literal["constant"] = "constant"
    decay: float = Field(0.9999, ge=0.0, le=1.0, description="per-update decay")
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.constant_impl:ConstantEma"

    def decay_at(self, step: int) -> float:
        check_step(step)
        return self.decay

    def half_life_steps(self, step: int, batch_size: int | None = None) -> float | None:
        return decay_to_half_life(self.decay)
