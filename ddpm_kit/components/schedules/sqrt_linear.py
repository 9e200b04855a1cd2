"""CompVis `sqrt_linear`: betas linear in beta (diffusers' `linear`)."""

from __future__ import annotations

from typing import ClassVar, Literal

from ddpm_kit.components.schedules.base import IMPL_PACKAGE, BetaRangeSpec, linspace


class SqrtLinearSchedule(BetaRangeSpec):
    """CompVis `sqrt_linear`: betas linear in beta (diffusers calls this `linear`), despite the name.

    beta_t = linear_start + t / (T - 1) * (linear_end - linear_start).
    Source: CompVis/latent-diffusion ``make_beta_schedule("sqrt_linear")``; Ho et al. 2020's schedule.
    """

    name: Literal["sqrt_linear"] = "sqrt_linear"
    # torch twin: CompVis computes these betas with torch.linspace in float64, whose vectorized rounding the
    # pure-Python linspace reproduces only to an ulp; the twin keeps the float32 buffers bitwise upstream's.
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.sqrt_linear_impl:sqrt_linear_betas"

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        return linspace(self.linear_start, self.linear_end, timesteps)
