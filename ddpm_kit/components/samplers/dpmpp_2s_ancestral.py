"""`dpmpp_2s_ancestral`: single-step DPM-Solver++(2S) with ancestral noise (k-diffusion)."""

from __future__ import annotations

from typing import ClassVar, Literal

from ddpm_kit.components.samplers.base import IMPL_PACKAGE
from ddpm_kit.components.samplers.sigma import NoiseSamplerSpec


class DPMSolverPP2SAncestralSamplerSpec(NoiseSamplerSpec):
    """DPM-Solver++(2S) from sigma to sigma_down (midpoint r = 1/2 in lambda = -log sigma), then noise sigma_up.

    h = lambda_down - lambda, s = lambda + h / 2: x_2 = (sigma_s / sigma) x - expm1(-h / 2) D(x, sigma);
    x = (sigma_down / sigma) x - expm1(-h) D(x_2, sigma_s); + s_noise sigma_up z (sigma_up, sigma_down as
    ``euler_ancestral``); Euler on the last step to 0. Two evaluations per level, NFE 2 S - 1; the midpoint
    sigma_s is called at the t nearest in log sigma. Source: Lu et al. 2022, "DPM-Solver++", Algorithm 1
    (2S); k-diffusion ``sample_dpmpp_2s_ancestral``.
    """

    name: Literal["dpmpp_2s_ancestral"] = "dpmpp_2s_ancestral"
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.dpmpp_2s_ancestral_impl:DPMSolverPP2SAncestralSampler"
    evaluations_per_step: ClassVar[int] = 2
