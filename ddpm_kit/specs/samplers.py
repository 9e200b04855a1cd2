"""Reverse-process samplers (torch-free specs) and their pure-Python timestep rules.

Every sampler's ``impl(spec)`` is an object with
``sample(denoiser, buffers, shape, *, parameterization, clip_denoised, generator, log_every_t=None,
x_T=None) -> (samples, intermediates)``, ``denoiser(x, t: LongTensor[B]) -> model output``.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

from pydantic import Field

from ddpm_kit.registry import SamplerSpec

_SAMPLERS = "ddpm_kit.diffusion.samplers"


# ----------------------------------------------------------------------------------------- timestep rules
def upstream_ddim_timesteps(spacing: str, steps: int, timesteps: int) -> list[int]:
    """CompVis ``make_ddim_timesteps`` as written (may overshoot S, exceed T - 1, or raise for S > T).

    uniform: c = T // S, [0, c, 2c, ... < T] + 1; quad: floor(linspace(0, sqrt(0.8 T), S)^2) + 1.
    """
    if spacing == "uniform":
        stride = timesteps // steps
        if stride == 0:
            raise ValueError("range() arg 3 must not be zero")  # upstream's error for S > T
        return [t + 1 for t in range(0, timesteps, stride)]
    if spacing == "quad":
        stop = math.sqrt(timesteps * 0.8)
        if steps == 1:
            return [1]
        step = stop / (steps - 1)
        points = [i * step for i in range(steps - 1)] + [stop]  # numpy.linspace: i * step, last = stop
        return [int(p * p) + 1 for p in points]
    raise ValueError(f"unknown DDIM spacing {spacing!r} (known: uniform, quad)")


def ddim_timesteps(spacing: str, steps: int, timesteps: int) -> list[int]:
    """The DDIM timesteps used here: upstream's wherever upstream is well-defined, exactly S of them.

    uniform: tau_k = k * (T // S) + 1 for k = 0..S-1, except S = T, which gives tau_k = k (every step; the
    +1 shift would reach T). These are the first S entries of upstream's list, so they equal upstream's
    whenever upstream returns S in-range steps, while upstream's overshoot (T=1000, S=300 -> 334 steps)
    and its IndexError (last entry T: S = 111, 300, 333, 999, 1000 at T = 1000) cannot happen.
    quad: upstream's numbers (they never exceed about 0.8 T + 1; ``DDIMSamplerSpec.check`` reports
    duplicates and out-of-range entries). Raises ValueError for S < 1 or S > T.
    """
    if not 1 <= steps <= timesteps:
        raise ValueError(f"DDIM needs 1 <= steps <= T, got steps={steps}, T={timesteps}")
    if spacing == "uniform":
        if steps == timesteps:
            return list(range(timesteps))
        stride = timesteps // steps
        return [k * stride + 1 for k in range(steps)]
    return upstream_ddim_timesteps(spacing, steps, timesteps)


# ----------------------------------------------------------------------------------------- specs
class DDPMSamplerSpec(SamplerSpec):
    """Ancestral DDPM sampling over all T steps (CompVis ``p_sample_loop``), fixed posterior variance.

    x_{t-1} = mu_tilde(x0_hat, x_t) + 1[t > 0] exp(0.5 log sigma^2_t) z, x0_hat clamped to [-1, 1] when
    clip_denoised. Source: Ho et al. 2020, Algorithm 2; CompVis ``DDPM.p_sample_loop`` (eps, x0, and v,
    on which upstream crashes). Intermediates: x_T, then x_t for t % log_every_t == 0 or t == T - 1.
    """

    name: Literal["ddpm"] = "ddpm"
    impl: ClassVar[str] = f"{_SAMPLERS}.ancestral:AncestralSampler"

    def num_steps(self, timesteps: int) -> int:
        return timesteps

    def check(self, timesteps: int) -> list[str]:
        return [] if timesteps >= 2 else [f"needs T >= 2, got {timesteps}"]


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
    impl: ClassVar[str] = f"{_SAMPLERS}.ddim:DDIMSampler"
    steps: int = Field(50, ge=1, description="number of network evaluations S (<= T)")
    eta: float = Field(0.0, ge=0.0, le=1.0, description="noise scale: 0 deterministic DDIM, 1 DDPM-like")
    spacing: Literal["uniform", "quad"] = Field("uniform", description="how the S timesteps are spread over T")

    def num_steps(self, timesteps: int) -> int:
        return self.steps

    def check(self, timesteps: int) -> list[str]:
        if self.steps > timesteps:
            return [f"ddim steps={self.steps} exceeds T={timesteps} (upstream: ValueError)"]
        taus = ddim_timesteps(self.spacing, self.steps, timesteps)
        problems = []
        if max(taus) >= timesteps:
            problems.append(f"quad spacing reaches t={max(taus)} >= T={timesteps} (upstream: IndexError)")
        unique = len(set(taus))
        if unique < len(taus):
            problems.append(
                f"quad spacing gives only {unique} distinct timesteps for steps={self.steps} at T={timesteps}: "
                "the repeated steps do nothing; use fewer steps or spacing 'uniform'"
            )
        return problems


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
    impl: ClassVar[str] = f"{_SAMPLERS}.dpm_solver:DPMSolverPP2MSampler"
    steps: int = Field(20, ge=1, description="number of network evaluations S (<= T)")

    def num_steps(self, timesteps: int) -> int:
        return self.steps

    def check(self, timesteps: int) -> list[str]:
        if self.steps > timesteps:
            return [f"dpmpp_2m steps={self.steps} exceeds T={timesteps}"]
        return []
