"""`ddim`: DDIM (Song et al. 2021) with upstream's timestep spacing."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ddpm_kit.components.samplers.base import IMPL_PACKAGE
from ddpm_kit.components.samplers.spacings import ddim_timesteps
from ddpm_kit.registry import SamplerSpec


class DDIMSamplerSpec(SamplerSpec):
    """DDIM sampling on a subsequence of S timesteps (CompVis ``DDIMSampler``), eta-controlled noise.

    x_prev = sqrt(a_prev) x0_hat + sqrt(1 - a_prev - s^2) eps_hat + s z,
    s = eta sqrt((1 - a_prev) / (1 - a)) sqrt(1 - a / a_prev), with a = alpha_bar[tau_k], a_prev =
    alpha_bar[tau_{k-1}] and, as upstream, a_prev = alpha_bar[0] (not 1) at the last step.
    Timesteps: ``ddim_timesteps`` (upstream's where defined, exactly S). x0-parameterized models are
    handled (upstream treats their output as eps); with clip_denoised, x0_hat is clamped and eps_hat
    recomputed from it. Source: Song et al. 2021, "Denoising Diffusion Implicit Models", eq. 12.
    """

    name: Literal["ddim"] = "ddim"
    stochastic: ClassVar[bool] = True  # draws one normal per step; eta = 0 scales it to nothing
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.ddim_impl:DDIMSampler"
    steps: int = Field(50, ge=1, description="number of network evaluations S (<= T)")
    eta: float = Field(0.0, ge=0.0, le=1.0, description="noise scale: 0 deterministic DDIM, 1 DDPM-like")
    spacing: Literal["uniform", "quad", "leading", "linspace", "trailing"] = Field(
        "uniform", description="how the S timesteps are spread over T: upstream's uniform / quad, or diffusers' "
                               "leading / linspace / trailing (trailing starts at T - 1)")

    def num_steps(self, timesteps: int) -> int:
        return self.steps

    def check(self, timesteps: int) -> list[str]:
        if self.steps > timesteps:
            return [f"ddim steps={self.steps} exceeds T={timesteps} (upstream: ValueError)"]
        taus = ddim_timesteps(self.spacing, self.steps, timesteps)
        problems = []
        if max(taus) >= timesteps:
            problems.append(f"{self.spacing} spacing reaches t={max(taus)} >= T={timesteps} (upstream: IndexError)")
        unique = len(set(taus))
        if unique < len(taus):
            problems.append(
                f"{self.spacing} spacing gives only {unique} distinct timesteps for steps={self.steps} "
                f"at T={timesteps}: the repeated steps do nothing; use fewer steps or spacing 'uniform'"
            )
        return problems
