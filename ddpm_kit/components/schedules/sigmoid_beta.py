"""`sigmoid_beta`: betas a sigmoid from `linear_start` to `linear_end` (diffusers / GeoDiff)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ddpm_kit.components.schedules.base import MIN_BETA, BetaRangeSpec, linspace, sigmoid


class SigmoidBetaSchedule(BetaRangeSpec):
    """Sigmoid in beta space: betas follow a sigmoid from `linear_start` to `linear_end`.

    beta_t = sigmoid(-6 + 12 t / (T - 1)) * (linear_end - linear_start) + linear_start.
    Source: diffusers ``DDPMScheduler(beta_schedule="sigmoid")`` (from GeoDiff, Xu et al. 2022), here in
    float64 (diffusers uses float32). Very different from `sigmoid_alphabar`.
    """

    name: Literal["sigmoid_beta"] = "sigmoid_beta"
    linear_start: float = Field(1e-4, ge=MIN_BETA, lt=1.0, description="lower asymptote of the betas (beta_0 ~ it)")
    linear_end: float = Field(2e-2, ge=MIN_BETA, lt=1.0, description="upper asymptote of the betas (beta_{T-1} ~ it)")

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        span = self.linear_end - self.linear_start
        return [sigmoid(x) * span + self.linear_start for x in linspace(-6.0, 6.0, timesteps)]
