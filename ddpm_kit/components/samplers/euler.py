"""`euler`: Euler's method on the probability-flow ODE in sigma (Karras et al. 2022, Algorithm 1 with Euler)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ddpm_kit.components.samplers.base import IMPL_PACKAGE
from ddpm_kit.components.samplers.sigma import SigmaSamplerSpec


class EulerSamplerSpec(SigmaSamplerSpec):
    """Euler's method on the probability-flow ODE dx/dsigma = (x - D(x, sigma)) / sigma; first order.

    x_{i+1} = x_i + (sigma_{i+1} - sigma_i) d_i, d_i = (x_i - D(x_i, sigma_i)) / sigma_i, over the S levels
    and a last step to sigma = 0 (which gives D itself). Deterministic after x_T; one evaluation per level.
    Source: Karras et al. 2022, "Elucidating the Design Space of Diffusion-Based Generative Models", eq. 4
    and Algorithm 1 (Euler steps only); k-diffusion ``sample_euler``.
    """

    name: Literal["euler"] = "euler"
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.euler_impl:EulerSampler"
    steps: int = Field(50, ge=1, description="number of noise levels S (<= T); the default keeps the exact-denoiser "
                                          "conformance within 10% of the data std")
