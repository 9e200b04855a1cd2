"""CompVis `given_betas`: an explicit list of betas."""

from __future__ import annotations

import math
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ddpm_kit.registry import ScheduleSpec
from ddpm_kit.components.schedules.base import beta_problems


class GivenBetasSchedule(ScheduleSpec):
    """Explicit betas (CompVis `given_betas`); the schedule length is len(betas) and `timesteps` is ignored.

    beta_t = betas[t]. Source: CompVis ``register_schedule(given_betas=...)``, which needs a numpy array;
    here a plain list (what YAML gives) in float64.
    """

    name: Literal["given_betas"] = "given_betas"
    uses_timesteps: ClassVar[bool] = False
    betas: list[float] = Field(..., min_length=2, description="beta_t for t = 0..T-1, each in (0, 1)")

    @model_validator(mode="after")
    def _in_range(self) -> GivenBetasSchedule:
        bad = [i for i, b in enumerate(self.betas) if not (math.isfinite(b) and 0.0 < b < 1.0)]
        if bad:
            raise ValueError(f"betas must lie in (0, 1); bad entries at index {bad[:5]} (e.g. {self.betas[bad[0]]!r})")
        return self

    def reference_betas(self, timesteps: int) -> list[float]:
        return list(self.betas)

    def check(self, timesteps: int) -> list[str]:
        return beta_problems(list(self.betas))
