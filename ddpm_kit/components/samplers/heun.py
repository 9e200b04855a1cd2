"""`heun`: Heun's second-order method (Karras et al. 2022, Algorithms 1-2)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ddpm_kit.components.samplers.base import IMPL_PACKAGE
from ddpm_kit.components.samplers.sigma import SigmaSamplerSpec


class HeunSamplerSpec(SigmaSamplerSpec):
    """Heun's method on the probability-flow ODE in sigma (2nd order), optional churn (Algorithm 2).

    With churn: gamma = min(s_churn / S, sqrt 2 - 1) where s_tmin <= sigma <= s_tmax (else 0), sigma_hat =
    (1 + gamma) sigma, x_hat = x + sqrt(sigma_hat^2 - sigma^2) s_noise z. Then d = (x_hat - D(x_hat,
    sigma_hat)) / sigma_hat, x' = x_hat + (sigma_next - sigma_hat) d, and unless sigma_next = 0 the trapezoid
    correction x = x_hat + (sigma_next - sigma_hat) (d + d') / 2 with d' at (x', sigma_next). Two evaluations
    per level, one on the last (the Euler step to 0): NFE 2 S - 1. s_churn = 0 (default): deterministic.
    Source: Karras et al. 2022, "Elucidating the Design Space of Diffusion-Based Generative Models",
    Algorithms 1 and 2; k-diffusion ``sample_heun``.
    """

    name: Literal["heun"] = "heun"
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.heun_impl:HeunSampler"
    evaluations_per_step: ClassVar[int] = 2
    s_churn: float = Field(0.0, ge=0.0, le=1000.0, description="stochasticity S_churn (0: deterministic)")
    s_tmin: float = Field(0.0, ge=0.0, description="churn only where sigma >= s_tmin")
    s_tmax: float | None = Field(None, ge=0.0, description="churn only where sigma <= s_tmax (None: no bound)")
    s_noise: float = Field(1.0, ge=0.0, le=10.0, description="scale of the churn noise (S_noise)")
