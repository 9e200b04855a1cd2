"""CompVis `linear` and its diffusers name `scaled_linear`: betas linear in sqrt(beta)."""

from __future__ import annotations

from typing import ClassVar, Literal

from ddpm_kit.components.schedules.base import IMPL_PACKAGE, BetaRangeSpec, linspace


class LinearSchedule(BetaRangeSpec):
    """CompVis `linear`: betas linear in sqrt(beta) (diffusers calls this `scaled_linear`).

    beta_t = (sqrt(linear_start) + t / (T - 1) * (sqrt(linear_end) - sqrt(linear_start)))^2, t = 0..T-1.
    Source: CompVis/latent-diffusion ``make_beta_schedule("linear")``, the LDM and Stable Diffusion default
    (SD: 0.00085..0.012). Not diffusers' `linear`, which is `sqrt_linear` here.
    """

    name: Literal["linear"] = "linear"
    # torch twin: CompVis computes these betas with torch.linspace in float64, whose vectorized rounding the
    # pure-Python linspace reproduces only to an ulp; the twin keeps the float32 buffers bitwise upstream's.
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.linear_impl:linear_betas"

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        return [r * r for r in linspace(self.linear_start**0.5, self.linear_end**0.5, timesteps)]


class ScaledLinearSchedule(LinearSchedule):
    """diffusers `scaled_linear`: an alias of CompVis `linear` (betas linear in sqrt(beta)), same fields.

    beta_t = (sqrt(linear_start) + t / (T - 1) * (sqrt(linear_end) - sqrt(linear_start)))^2.
    Source: diffusers ``DDPMScheduler(beta_schedule="scaled_linear")`` (which computes it in float32; here
    float64 as CompVis does, so the numbers equal `linear` bitwise).
    """

    name: Literal["scaled_linear"] = "scaled_linear"  # type: ignore[assignment]
