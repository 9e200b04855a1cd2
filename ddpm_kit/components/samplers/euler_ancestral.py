"""`euler_ancestral`: Euler steps down to sigma_down plus fresh noise sigma_up (k-diffusion)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ddpm_kit.components.samplers.base import IMPL_PACKAGE
from ddpm_kit.components.samplers.sigma import NoiseSamplerSpec


class EulerAncestralSamplerSpec(NoiseSamplerSpec):
    """Ancestral Euler: an Euler step to sigma_down, then noise of std s_noise sigma_up, first order.

    sigma_up = min(sigma_next, eta sqrt(sigma_next^2 (sigma^2 - sigma_next^2) / sigma^2)), sigma_down =
    sqrt(sigma_next^2 - sigma_up^2); x <- x + (sigma_down - sigma) d + s_noise sigma_up z (no noise on the last
    step to 0). eta = 1 is DDPM's ancestral step in sigma (eta = 0: ``euler``). One evaluation per level.
    Source: k-diffusion ``sample_euler_ancestral`` and ``get_ancestral_step``; Song et al. 2021 (DDIM) eq. 16.
    """

    name: Literal["euler_ancestral"] = "euler_ancestral"
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.euler_ancestral_impl:EulerAncestralSampler"
    steps: int = Field(100, ge=1, description="number of noise levels S (<= T); the default keeps the exact-denoiser "
                                          "conformance within 10% of the data std")
