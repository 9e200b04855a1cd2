"""DPM-Solver++(2M) on the discrete schedule; formula and source in ``DPMSolverPP2MSamplerSpec``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from torch import Tensor

from ddpm_kit.diffusion.forward import Buffers
from ddpm_kit.diffusion.sampling.loop import Noise, Sampler, Step
from ddpm_kit.diffusion.sampling.prediction import Denoiser, Frame, Prediction
from ddpm_kit.components.samplers.spacings import MIN_ALPHA_BAR


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


class DPMSolverPP2MSampler(Sampler):
    """S evaluations uniform in log-SNR from T-1 to 0, second-order multistep; returns the last x0_hat.
    Deterministic after x_T; predictions in the float64 (alpha, sigma) frame of the grid."""

    def plan(self, buffers: Buffers, parameterization: str) -> list[Step]:
        taus = log_snr_uniform_timesteps(buffers["alphas_cumprod"], self.spec.steps)
        alphas, sigmas, lambdas = grid(buffers["alphas_cumprod"].double().cpu(), taus)
        steps = []
        for k, tau in enumerate(taus):
            last = k == len(taus) - 1
            info = {"last": last} if last else {"h": lambdas[k + 1] - lambdas[k], "ratio": sigmas[k + 1] / sigmas[k],
                                                "alpha_next": alphas[k + 1]}
            steps.append(Step(tau, Frame(alphas[k], sigmas[k]), info))
        return steps

    def update(self, x: Tensor, prediction: Prediction, step: Step, noise: Noise, denoiser: Denoiser,
               state: dict[str, Any]) -> Tensor:
        """x_next = (sigma_next / sigma) x - alpha_next expm1(-h) D'; at the last step x0_hat itself."""
        x0_hat, previous_x0, previous_h = prediction.x0, state.get("x0"), state.get("h", 0.0)
        state["x0"] = x0_hat
        if step.info.get("last"):
            return x0_hat  # the denoised estimate at the last (least noisy) evaluation
        h = step.info["h"]  # 0 only between two steps floored at 2^-24: an identity step
        data = x0_hat
        if previous_x0 is not None and previous_h > 0 and h > 0:
            r = previous_h / h
            data = (1 + 1 / (2 * r)) * x0_hat - (1 / (2 * r)) * previous_x0
        state["h"] = h
        return step.info["ratio"] * x - (step.info["alpha_next"] * math.expm1(-h)) * data
