"""What the k-diffusion family shares: S noise levels on the discrete VP schedule, their spacing, the NFE.

These samplers integrate in k-diffusion's variable x_sigma = x_t / sqrt(alpha_bar_t) = x0 + sigma eps with
sigma = sqrt((1 - alpha_bar) / alpha_bar) (Karras et al. 2022, section 2 and appendix C.3.1 for the VP
schedule). The S noise levels come from ``spacings.sampler_sigmas``: a discrete spacing (the sigma of each
chosen integer t) or ``karras`` (eq. 5, rho, between the schedule's sigma_0 and sigma_{T-1} unless
sigma_min / sigma_max are given); a final step goes to sigma = 0 (k-diffusion's appended zero) and
returns the last x0 estimate. The network is always called at an integer t: a level's own t for a discrete
spacing, else the t nearest in log sigma (k-diffusion ``DiscreteSchedule`` with ``quantize=True``), with the
input scaled by 1 / sqrt(1 + sigma^2) of the level itself. alpha_bar is floored at 2^-24, so a
zero-terminal-SNR schedule has sigma_{T-1} = 4096 rather than infinity.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ddpm_kit.registry import SamplerSpec
from ddpm_kit.registry.kinds import PARAMETERIZATIONS
from ddpm_kit.components.samplers.spacings import ddim_timesteps

SigmaSpacing = Literal["karras", "uniform", "quad", "leading", "linspace", "trailing"]


class SigmaSamplerSpec(SamplerSpec):
    """Base of the sigma-space samplers (not registered): steps, spacing, rho, sigma range."""

    parameterizations: ClassVar[tuple[str, ...]] = PARAMETERIZATIONS
    steps: int = Field(20, ge=1, description="number of noise levels S (<= T); the network is called at each")
    spacing: SigmaSpacing = Field(
        "karras", description="karras: Karras et al. 2022 sigma spacing (rho); uniform / quad / leading / linspace "
                              "/ trailing: the sigmas of those discrete timesteps")
    rho: float = Field(7.0, gt=0.0, le=100.0, description="karras spacing exponent (7: Karras et al.)")
    sigma_min: float | None = Field(None, gt=0.0, description="karras: smallest sigma (default: the schedule's "
                                                              "sigma at t = 0)")
    sigma_max: float | None = Field(None, gt=0.0, description="karras: largest sigma (default: the schedule's "
                                                              "sigma at t = T - 1)")

    @model_validator(mode="after")
    def _range(self) -> SigmaSamplerSpec:
        if self.sigma_min is not None and self.sigma_max is not None and self.sigma_min >= self.sigma_max:
            raise ValueError(f"sigma_min={self.sigma_min} must be below sigma_max={self.sigma_max}")
        if self.spacing != "karras" and (self.sigma_min is not None or self.sigma_max is not None):
            raise ValueError(f"sigma_min / sigma_max apply to spacing 'karras' only, not {self.spacing!r}")
        return self

    def num_steps(self, timesteps: int) -> int:
        """NFE: ``evaluations_per_step`` at each of the S levels, but one on the last (its step goes to 0)."""
        return self.evaluations_per_step * (self.steps - 1) + 1

    def check(self, timesteps: int) -> list[str]:
        if self.steps > timesteps:
            return [f"{self.name} steps={self.steps} exceeds T={timesteps}"]
        if self.spacing in ("karras",):
            return []
        taus = ddim_timesteps(self.spacing, self.steps, timesteps)
        problems = []
        if max(taus) >= timesteps:
            problems.append(f"{self.spacing} spacing reaches t={max(taus)} >= T={timesteps}")
        if len(set(taus)) < len(taus):
            problems.append(f"{self.spacing} spacing gives only {len(set(taus))} distinct timesteps for "
                            f"steps={self.steps} at T={timesteps}; use fewer steps or spacing 'karras'")
        return problems


class NoiseSamplerSpec(SigmaSamplerSpec):
    """Base of the ancestral / SDE samplers (not registered): eta scales each step's noise, s_noise its draw."""

    stochastic: ClassVar[bool] = True

    eta: float = Field(1.0, ge=0.0, le=10.0, description="noise per step: 0 deterministic (the ODE), 1 the "
                                                         "method's default")
    s_noise: float = Field(1.0, ge=0.0, le=10.0, description="scale of each noise draw (Karras et al. S_noise)")
