"""DPM-Solver++(2M) on the discrete schedule; formula and source in ``DPMSolverPP2MSamplerSpec``."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from ddpm_kit.diffusion.forward import Buffers
from ddpm_kit.diffusion.parameterization import split_output
from ddpm_kit.diffusion.samplers.common import (
    Denoiser, check_parameterization, initial_noise, keep_intermediate, run_denoiser, timestep_batch,
)
from ddpm_kit.specs.samplers.dpmpp_2m import DPMSolverPP2MSamplerSpec

#: alpha_bar floor keeping log-SNR finite at a zero-terminal-SNR step (diffusers uses the same 2**-24).
MIN_ALPHA_BAR = 2.0**-24


def log_snr(alphas_cumprod: Tensor) -> list[float]:
    """lambda_t = log(alpha_t / sigma_t) = 0.5 (log ab - log(1 - ab)) [T] in float64, ab floored at 2^-24."""
    alpha_bar = [max(float(a), MIN_ALPHA_BAR) for a in alphas_cumprod.detach().double().cpu()]
    return [0.5 * (math.log(a) - math.log1p(-a)) for a in alpha_bar]


def log_snr_uniform_timesteps(alphas_cumprod: Tensor, steps: int) -> list[int]:
    """S descending timesteps from T-1 to 0 whose lambda is nearest to S values uniform in lambda.

    tau_0 = T-1, tau_{S-1} = 0; each tau_k = argmin_t |lambda_t - target_k|, clamped into
    [S-1-k, tau_{k-1} - 1] so the S steps are distinct (needs S <= T).
    """
    lambdas = log_snr(alphas_cumprod)
    num_timesteps = len(lambdas)
    if not 1 <= steps <= num_timesteps:
        raise ValueError(f"needs 1 <= steps <= T, got steps={steps}, T={num_timesteps}")
    if steps == 1:
        return [num_timesteps - 1]
    first, last = lambdas[-1], lambdas[0]
    taus = [num_timesteps - 1]
    for k in range(1, steps):
        target = first + (last - first) * k / (steps - 1)
        nearest = min(range(num_timesteps), key=lambda t: abs(lambdas[t] - target))
        taus.append(min(max(nearest, steps - 1 - k), taus[-1] - 1))
    return taus


def grid(alphas_cumprod: Tensor, timesteps: Sequence[int]) -> tuple[list[float], list[float], list[float]]:
    """(alpha, sigma, lambda) at the given timesteps, float64, ab = max(alpha_bar, 2^-24)."""
    alpha_bar = [max(float(alphas_cumprod[t]), MIN_ALPHA_BAR) for t in timesteps]
    alphas = [math.sqrt(a) for a in alpha_bar]
    sigmas = [math.sqrt(1.0 - a) for a in alpha_bar]
    lambdas = [0.5 * (math.log(a) - math.log1p(-a)) for a in alpha_bar]
    return alphas, sigmas, lambdas


class DPMSolverPP2MSampler:
    """S evaluations uniform in log-SNR from T-1 to 0, second-order multistep; returns the last x0_hat."""

    def __init__(self, spec: DPMSolverPP2MSamplerSpec) -> None:
        self.spec = spec

    @torch.no_grad()
    def sample(
        self,
        denoiser: Denoiser,
        buffers: Buffers,
        shape: Sequence[int],
        *,
        parameterization: str,
        clip_denoised: bool,
        generator: torch.Generator | None,
        log_every_t: int | None = None,
        x_T: Tensor | None = None,
    ) -> tuple[Tensor, list[Tensor]]:
        """(samples, intermediates). Deterministic after x_T. Intermediates: x_T, then x after step index k
        (counted from the clean end) when k % log_every_t == 0 or at the first step."""
        check_parameterization(parameterization, self.spec.parameterizations)
        num_timesteps = buffers["betas"].shape[0]
        problems = self.spec.check(num_timesteps)
        if problems:
            raise ValueError("; ".join(problems))
        device = buffers["betas"].device
        taus = log_snr_uniform_timesteps(buffers["alphas_cumprod"], self.spec.steps)
        alphas, sigmas, lambdas = grid(buffers["alphas_cumprod"].double().cpu(), taus)

        x = initial_noise(shape, x_T, generator, buffers)
        intermediates = [x] if log_every_t is not None else []
        batch, total = x.shape[0], len(taus)
        previous_x0: Tensor | None = None
        previous_h = 0.0
        for k, step in enumerate(taus):
            out = run_denoiser(denoiser, x, timestep_batch(step, batch, device))
            x0_hat, _ = split_output(out, x, alphas[k], sigmas[k], parameterization)
            if clip_denoised:
                x0_hat = x0_hat.clamp(-1.0, 1.0)
            if k == total - 1:
                x = x0_hat  # the denoised estimate at the last (least noisy) evaluation
            else:
                h = lambdas[k + 1] - lambdas[k]  # 0 only between two steps floored at 2^-24: an identity step
                data = x0_hat
                if previous_x0 is not None and previous_h > 0 and h > 0:
                    r = previous_h / h
                    data = (1 + 1 / (2 * r)) * x0_hat - (1 / (2 * r)) * previous_x0
                x = (sigmas[k + 1] / sigmas[k]) * x - (alphas[k + 1] * math.expm1(-h)) * data
                previous_h = h
            previous_x0 = x0_hat
            if keep_intermediate(total - 1 - k, total - 1, log_every_t):
                intermediates.append(x)
        return x, intermediates
