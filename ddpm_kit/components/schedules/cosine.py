"""CompVis / Improved-DDPM `cosine`: alpha_bar a squared cosine with offset `cosine_s`."""

from __future__ import annotations

import math
from typing import ClassVar, Literal

from pydantic import Field

from ddpm_kit.components.schedules.base import IMPL_PACKAGE, RescalableScheduleSpec


class CosineSchedule(RescalableScheduleSpec):
    """CompVis `cosine`: alpha_bar follows a squared cosine with offset `cosine_s`; betas capped at 0.999.

    f(i) = cos^2(((i / T) + s) / (1 + s) * pi / 2), i = 0..T; beta_t = clip(1 - f(t+1) / f(t), 0, 0.999).
    Source: Nichol & Dhariwal 2021 (eq. 17); CompVis ``make_beta_schedule("cosine")`` (computes f / f(0)
    first, reproduced here). diffusers' equivalent for s = 0.008 is `squaredcos_cap_v2`.
    """

    name: Literal["cosine"] = "cosine"
    # torch twin: CompVis computes these betas with torch.cos in float64, which rounds differently from
    # math.cos in the last bit; the twin keeps the float32 buffers bitwise upstream's.
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.cosine_impl:cosine_betas"
    cosine_s: float = Field(8e-3, ge=0.0, le=1.0, description="offset s keeping beta_0 away from 0")

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        s = self.cosine_s
        f = [math.cos((i / timesteps + s) / (1 + s) * math.pi / 2) ** 2 for i in range(timesteps + 1)]
        f = [v / f[0] for v in f]
        return [min(max(1.0 - f[i + 1] / f[i], 0.0), 0.999) for i in range(timesteps)]
