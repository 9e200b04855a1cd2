"""`ddpm`: ancestral sampling over all T steps (Ho et al. 2020)."""

from __future__ import annotations

from typing import ClassVar, Literal

from ddpm_kit.components.samplers.base import IMPL_PACKAGE
from ddpm_kit.registry import SamplerSpec


class DDPMSamplerSpec(SamplerSpec):
    """Ancestral DDPM sampling over all T steps (CompVis ``p_sample_loop``), fixed posterior variance.

    x_{t-1} = mu_tilde(x0_hat, x_t) + 1[t > 0] exp(0.5 log sigma^2_t) z, x0_hat clamped to [-1, 1] when
    clip_denoised. Source: Ho et al. 2020, Algorithm 2; CompVis ``DDPM.p_sample_loop`` (eps, x0, and v,
    on which upstream crashes). Intermediates: x_T, then x_t for t % log_every_t == 0 or t == T - 1.
    """

    name: Literal["ddpm"] = "ddpm"
    stochastic: ClassVar[bool] = True
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.ddpm_impl:AncestralSampler"

    def num_steps(self, timesteps: int) -> int:
        return timesteps

    def check(self, timesteps: int) -> list[str]:
        return [] if timesteps >= 2 else [f"needs T >= 2, got {timesteps}"]
