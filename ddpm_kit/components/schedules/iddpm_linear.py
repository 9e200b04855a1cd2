"""Improved-DDPM `linear`: betas linear in beta, endpoints scaled by 1000 / T."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from ddpm_kit.components.schedules.base import MIN_BETA, BetaRangeSpec, linspace


class IDDPMLinearSchedule(BetaRangeSpec):
    """Improved-DDPM `linear`: betas linear in beta with endpoints scaled by 1000 / T.

    beta_t = s * linear_start + t / (T - 1) * s * (linear_end - linear_start), s = 1000 / T, so that
    alpha_bar_{T-1} stays ~4e-5 at every T. Fields are the T = 1000 values. Needs s * linear_end < 1.
    Source: Nichol & Dhariwal 2021, "Improved Denoising Diffusion Probabilistic Models"
    (``get_named_beta_schedule("linear")``; lucidrains' `linear` is the same).
    """

    name: Literal["iddpm_linear"] = "iddpm_linear"
    linear_start: float = Field(1e-4, ge=MIN_BETA, lt=1.0, description="first beta at T = 1000 (scaled by 1000/T)")
    linear_end: float = Field(2e-2, ge=MIN_BETA, lt=1.0, description="last beta at T = 1000 (scaled by 1000/T)")

    def timestep_problems(self, timesteps: int) -> list[str]:
        end = self.linear_end * 1000.0 / timesteps
        if end >= 1.0:
            return [
                f"iddpm_linear at T={timesteps} scales linear_end to {end:.4g} >= 1; "
                f"use T > {math.floor(1000.0 * self.linear_end)} or a smaller linear_end"
            ]
        return []

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        problems = self.timestep_problems(timesteps)
        if problems:
            raise ValueError(problems[0])
        scale = 1000.0 / timesteps
        return linspace(scale * self.linear_start, scale * self.linear_end, timesteps)
