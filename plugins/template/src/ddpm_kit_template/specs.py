"""Specs of the template plugin: stdlib, pydantic and ddpm_kit.registry only (no torch, no numpy)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ddpm_kit.components.schedules.base import beta_problems
from ddpm_kit.registry import ScheduleSpec


class ConstantBetaSchedule(ScheduleSpec):
    """Constant betas: beta_t = beta for every t (a template plugin component).

    alpha_bar_t = (1 - beta)^(t + 1). Source: none; it only shows the shape of a plugin (replace it with your
    component's formula and the paper or code it comes from).
    """

    name: Literal["template.constant_beta"] = "template.constant_beta"
    beta: float = Field(0.01, ge=1e-5, le=0.5, description="the beta of every step")

    def reference_betas(self, timesteps: int) -> list[float]:
        """The formula, in pure-Python float64: what validation checks and a model registers (a schedule is this
        one class; only a schedule that must match an upstream's torch arithmetic bit for bit adds a torch twin,
        ``impl``)."""
        return [self.beta] * timesteps

    def check(self, timesteps: int) -> list[str]:
        """Problems at this T (validation reports them on the config): alpha_bar underflow and the like."""
        return beta_problems(self.reference_betas(timesteps))
