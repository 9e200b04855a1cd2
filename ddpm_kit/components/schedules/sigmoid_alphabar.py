"""`sigmoid_alphabar`: alpha_bar a reversed, rescaled sigmoid of t (Jabri et al. 2022)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ddpm_kit.components.schedules.base import RescalableScheduleSpec, sigmoid


class SigmoidAlphaBarSchedule(RescalableScheduleSpec):
    """Sigmoid in alpha_bar space: alpha_bar(t) is a reversed, rescaled sigmoid of t; betas capped at 0.999.

    g(x) = sigmoid((x * (end - start) + start) / tau); abar(x) = (g(1) - g(x)) / (g(1) - g(0)), x = i / T;
    beta_t = clip(1 - abar((t+1)/T) / abar(t/T), 0, 0.999).
    Source: Jabri, Fleet & Chen 2022, "Scalable Adaptive Computation for Iterative Generation" (RIN);
    lucidrains/denoising-diffusion-pytorch ``sigmoid_beta_schedule`` (its `sigmoid`, not diffusers').
    """

    name: Literal["sigmoid_alphabar"] = "sigmoid_alphabar"
    start: float = Field(-3.0, ge=-10.0, le=10.0, description="sigmoid input at t = 0 (before / tau)")
    end: float = Field(3.0, ge=-10.0, le=10.0, description="sigmoid input at t = T (before / tau)")
    tau: float = Field(1.0, ge=0.1, le=10.0, description="temperature: larger is closer to linear in alpha_bar")

    @model_validator(mode="after")
    def _ordered(self) -> SigmoidAlphaBarSchedule:
        if not (self.end - self.start) / self.tau >= 0.01:
            raise ValueError(
                f"(end - start) / tau must be >= 0.01, got start={self.start}, end={self.end}, tau={self.tau}"
            )
        if max(abs(self.start), abs(self.end)) / self.tau > 10.0:
            raise ValueError(
                f"max(|start|, |end|) / tau = {max(abs(self.start), abs(self.end)) / self.tau:.3g} > 10: the "
                "sigmoid saturates and the betas vanish at one end"
            )
        return self

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        v_start, v_end = sigmoid(self.start / self.tau), sigmoid(self.end / self.tau)
        span = self.end - self.start
        abar = [
            (-sigmoid((i / timesteps * span + self.start) / self.tau) + v_end) / (v_end - v_start)
            for i in range(timesteps + 1)
        ]
        abar = [a / abar[0] for a in abar]
        return [min(max(1.0 - abar[i + 1] / abar[i], 0.0), 0.999) for i in range(timesteps)]
