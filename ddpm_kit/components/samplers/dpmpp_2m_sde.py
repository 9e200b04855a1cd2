"""`dpmpp_2m_sde`: DPM-Solver++(2M) SDE (k-diffusion)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ddpm_kit.components.samplers.base import IMPL_PACKAGE
from ddpm_kit.components.samplers.sigma import NoiseSamplerSpec


class DPMSolverPP2MSDESamplerSpec(NoiseSamplerSpec):
    """Second-order multistep solver of the reverse SDE in lambda = -log sigma, data prediction D.

    h = lambda_next - lambda, eta_h = eta h: x = (sigma_next / sigma) e^{-eta_h} x - expm1(-h - eta_h) D_i
    + correction with r = h_prev / h: midpoint -expm1(-h - eta_h) (D_i - D_{i-1}) / (2 r); heun
    (-expm1(-h - eta_h) / (-h - eta_h) + 1) (D_i - D_{i-1}) / r; + s_noise sigma_next sqrt(-expm1(-2 eta_h)) z.
    First order at the first step, the last step to 0 returns D. eta = 0: the DPM-Solver++(2M) ODE step
    (deterministic). Noise: independent normals per step (k-diffusion uses a Brownian tree).
    Source: Lu et al. 2022, "DPM-Solver++"; k-diffusion ``sample_dpmpp_2m_sde``.
    """

    name: Literal["dpmpp_2m_sde"] = "dpmpp_2m_sde"
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.dpmpp_2m_sde_impl:DPMSolverPP2MSDESampler"
    steps: int = Field(50, ge=1, description="number of noise levels S (<= T); the default keeps the exact-denoiser "
                                          "conformance within 10% of the data std")
    solver_type: Literal["midpoint", "heun"] = Field("midpoint", description="second-order correction")
