"""`dpmpp_2m`: DPM-Solver++(2M) (Lu et al. 2022)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ddpm_kit.components.samplers.base import IMPL_PACKAGE
from ddpm_kit.registry import SamplerSpec


class DPMSolverPP2MSamplerSpec(SamplerSpec):
    """DPM-Solver++(2M): a deterministic second-order multistep solver of the probability-flow ODE.

    In log-SNR lambda = log(alpha / sigma) with data prediction D (x0_hat) and h = lambda_next - lambda:
    x_next = (sigma_next / sigma) x - alpha_next expm1(-h) D', D' = (1 + 1/(2r)) D_k - 1/(2r) D_{k-1},
    r = h_prev / h (first order at the first step). Timesteps: S evaluations uniform in lambda from t = T-1
    to t = 0 (the paper's "logSNR" skip type), each the integer t with the nearest lambda, forced strictly
    decreasing so that there are exactly S; the x0_hat of the last evaluation (t = 0) is returned.
    alpha_bar is floored at 2^-24 (as diffusers does for zero terminal SNR) so lambda stays finite; the
    network still gets the integer t.
    Source: Lu et al. 2022, "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic
    Models", Algorithm 2.
    """

    name: Literal["dpmpp_2m"] = "dpmpp_2m"
    stochastic: ClassVar[bool] = False
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.dpmpp_2m_impl:DPMSolverPP2MSampler"
    steps: int = Field(20, ge=1, description="number of network evaluations S (<= T)")

    def num_steps(self, timesteps: int) -> int:
        return self.steps

    def check(self, timesteps: int) -> list[str]:
        if self.steps > timesteps:
            return [f"dpmpp_2m steps={self.steps} exceeds T={timesteps}"]
        return []
