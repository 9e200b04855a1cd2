"""`power`: EDM2's power-function EMA (Karras et al. 2024)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ddpm_kit.components.ema.base import IMPL_PACKAGE, POWER_STD_MAX, check_step, decay_to_half_life, power_std_to_gamma
from ddpm_kit.registry import EMASpec


class PowerEmaSpec(EMASpec):
    """EDM2 power-function EMA: beta_t = (1 - 1/t)^(gamma + 1), t = optimizer steps taken so far.

    The shadow at step t averages the weights with p(tau) ~ tau^gamma: the weight of theta_tau is
    (tau^(gamma+1) - (tau-1)^(gamma+1)) / t^(gamma+1), so it never forgets the start entirely and its
    relative width is sigma_rel = sqrt((gamma+1) / ((gamma+2)^2 (gamma+3))). Give ``std`` (sigma_rel,
    EDM2 uses 0.05 and 0.10) or ``gamma``. Source: Karras et al. 2024 (EDM2), Eq. 2-3, ``phema.py``.
    """

    name: Literal["power"] = "power"
    std: float | None = Field(
        None, gt=0, lt=POWER_STD_MAX, description="relative width sigma_rel of the averaging profile (EDM2 0.05)"
    )
    gamma: float | None = Field(None, gt=0, description="exponent of the averaging profile p(tau) ~ tau^gamma")
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.power_impl:PowerEma"

    @model_validator(mode="after")
    def _one_width(self) -> PowerEmaSpec:
        if (self.std is None) == (self.gamma is None):
            raise ValueError("set exactly one of std (sigma_rel) and gamma")
        return self

    def exponent(self) -> float:
        """gamma, from the field or converted from std."""
        return self.gamma if self.gamma is not None else power_std_to_gamma(self.std)  # type: ignore[arg-type]

    def decay_at(self, step: int) -> float:
        check_step(step)
        return (1.0 - 1.0 / step) ** (self.exponent() + 1.0)

    def half_life_steps(self, step: int, batch_size: int | None = None) -> float | None:
        return decay_to_half_life(self.decay_at(step))
