"""CompVis `sqrt`: betas the square root of a linear ramp."""

from __future__ import annotations

import math
from typing import ClassVar, Literal

from pydantic import Field

from ddpm_kit.components.schedules.base import IMPL_PACKAGE, MIN_BETA, BetaRangeSpec, linspace


class SqrtSchedule(BetaRangeSpec):
    """CompVis `sqrt`: the square root of a linear ramp (large betas: alpha_bar_999 ~ 3e-44 by default).

    beta_t = sqrt(linear_start + t / (T - 1) * (linear_end - linear_start)).
    Source: CompVis/latent-diffusion ``make_beta_schedule("sqrt")``.
    """

    name: Literal["sqrt"] = "sqrt"
    # torch twin: CompVis computes these betas with torch.linspace in float64, whose vectorized rounding the
    # pure-Python linspace reproduces only to an ulp; the twin keeps the float32 buffers bitwise upstream's.
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.sqrt_impl:sqrt_betas"
    linear_start: float = Field(1e-4, ge=MIN_BETA, lt=1.0, description="start of the ramp: beta_0 = sqrt(linear_start)")
    linear_end: float = Field(2e-2, ge=MIN_BETA, lt=1.0, description="end of the ramp: beta_{T-1} = sqrt(linear_end)")

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        return [math.sqrt(b) for b in linspace(self.linear_start, self.linear_end, timesteps)]
