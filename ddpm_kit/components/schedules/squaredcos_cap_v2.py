"""diffusers `squaredcos_cap_v2`: the cosine schedule with s = 0.008, betas capped at 0.999."""

from __future__ import annotations

import math
from typing import Literal

from ddpm_kit.components.schedules.base import RescalableScheduleSpec


def squaredcos_alpha_bar(t: float) -> float:
    """alpha_bar(t) = cos^2((t + 0.008) / 1.008 * pi / 2) for t in [0, 1] (s fixed at 0.008)."""
    return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2


class SquaredCosCapV2Schedule(RescalableScheduleSpec):
    """diffusers / SD `squaredcos_cap_v2`: the cosine schedule with s fixed at 0.008 (no `cosine_s` field).

    beta_t = min(1 - abar((t+1)/T) / abar(t/T), 0.999), abar(x) = cos^2((x + 0.008) / 1.008 * pi / 2).
    Source: Stability-AI/stablediffusion ``betas_for_alpha_bar`` (pure Python, reproduced bitwise);
    diffusers ``betas_for_alpha_bar(alpha_transform_type="cosine")``. Same as `cosine` up to rounding.
    """

    name: Literal["squaredcos_cap_v2"] = "squaredcos_cap_v2"

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        betas = []
        for i in range(timesteps):
            t1, t2 = i / timesteps, (i + 1) / timesteps
            betas.append(min(1 - squaredcos_alpha_bar(t2) / squaredcos_alpha_bar(t1), 0.999))
        return betas
