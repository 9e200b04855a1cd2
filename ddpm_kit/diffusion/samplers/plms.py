"""PLMS sampling (CompVis ``PLMSSampler``); formulas, timestep rule and source in ``PLMSSamplerSpec``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from ddpm_kit.diffusion.forward import Buffers
from ddpm_kit.diffusion.parameterization import predict_eps
from ddpm_kit.diffusion.samplers.common import (
    Denoiser, check_parameterization, initial_noise, keep_intermediate, run_denoiser, timestep_batch,
)
from ddpm_kit.diffusion.samplers.ddim import ddim_sampling_parameters
from ddpm_kit.specs.samplers.plms import PLMSSamplerSpec


def plms_eps(eps: Tensor, history: Sequence[Tensor]) -> Tensor:
    """Adams-Bashforth combination of the current raw eps and up to three earlier ones (newest last).

    1 back: (3 e - e1) / 2; 2: (23 e - 16 e1 + 5 e2) / 12; 3: (55 e - 59 e1 + 37 e2 - 9 e3) / 24
    (upstream ``p_sample_plms``, same operation order).
    """
    if len(history) == 1:
        return (3 * eps - history[-1]) / 2
    if len(history) == 2:
        return (23 * eps - 16 * history[-1] + 5 * history[-2]) / 12
    return (55 * eps - 59 * history[-1] + 37 * history[-2] - 9 * history[-3]) / 24


class PLMSSampler:
    """Upstream's PLMS loop: warm-up step with two evaluations, then Adams-Bashforth of order 2-4."""

    def __init__(self, spec: PLMSSamplerSpec) -> None:
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
        """(samples, intermediates). Deterministic given x_T (eta = 0: no noise is drawn after x_T).
        Intermediates: x_T, then x after step i when (n - 1 - i) % log_every_t == 0 or i = 0.
        With clip_denoised, x0_hat is clamped to [-1, 1] and the direction uses eps' recomputed from it
        (upstream has no clipping; parity needs clip_denoised off). v and x0 outputs are converted to eps
        (``predict_eps``) where upstream would silently use them as eps."""
        check_parameterization(parameterization, self.spec.parameterizations)
        T = buffers["betas"].shape[0]
        problems = self.spec.check(T)
        if problems:
            raise ValueError("; ".join(problems))
        device, dtype = buffers["betas"].device, buffers["betas"].dtype
        taus = self.spec.timesteps(T)
        if float(buffers["alphas_cumprod"][taus[-1]]) == 0.0:
            raise ValueError(f"alpha_bar[{taus[-1]}] = 0 (zero terminal SNR): PLMS divides by sqrt(alpha_bar) at its "
                             "first step; choose steps so that the largest timestep is below T - 1")
        _, alphas, alphas_prev = ddim_sampling_parameters(buffers["alphas_cumprod"], taus, 0.0)
        sqrt_one_minus_alphas = torch.from_numpy(np.sqrt((1.0 - alphas).numpy()))  # upstream: np.sqrt, float32
        x = initial_noise(shape, x_T, generator, buffers)
        intermediates = [x] if log_every_t is not None else []
        batch, total = x.shape[0], len(taus)
        visit = list(reversed(taus))
        history: list[Tensor] = []
        for i, step in enumerate(visit):
            index = total - i - 1
            coefficients = self._coefficients(alphas, alphas_prev, sqrt_one_minus_alphas, index, x, device)
            t = timestep_batch(step, batch, device)
            eps = predict_eps(run_denoiser(denoiser, x, t), x, t, parameterization, buffers)
            if not history:  # warm-up: pseudo improved Euler
                provisional = self._transfer(x, eps, coefficients, clip_denoised)
                t_next = timestep_batch(visit[min(i + 1, total - 1)], batch, device)
                eps_next = predict_eps(run_denoiser(denoiser, provisional, t_next), provisional, t_next,
                                       parameterization, buffers)
                eps_prime = (eps + eps_next) / 2
            else:
                eps_prime = plms_eps(eps, history)
            x = self._transfer(x, eps_prime, coefficients, clip_denoised).to(dtype)
            history = (history + [eps])[-3:]
            if keep_intermediate(index, total - 1, log_every_t):
                intermediates.append(x)
        return x, intermediates

    @staticmethod
    def _coefficients(
        alphas: Tensor, alphas_prev: Tensor, sqrt_one_minus_alphas: Tensor, index: int, x: Tensor,
        device: torch.device,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """(a_t, a_prev, sqrt(1 - a_t)) as [B, 1, ...] tensors filled as upstream (``torch.full``)."""
        a_t = torch.full((x.shape[0], *((1,) * (x.dim() - 1))), float(alphas[index]), device=device)
        return a_t, torch.full_like(a_t, float(alphas_prev[index])), torch.full_like(
            a_t, float(sqrt_one_minus_alphas[index]))

    @staticmethod
    def _transfer(x: Tensor, eps: Tensor, coefficients: tuple[Tensor, Tensor, Tensor], clip: bool) -> Tensor:
        """DDIM eta = 0: x0_hat = (x - sqrt(1 - a_t) eps) / sqrt(a_t); x_prev = sqrt(a_prev) x0_hat +
        sqrt(1 - a_prev) eps (upstream ``get_x_prev_and_pred_x0`` with sigma = 0)."""
        a_t, a_prev, sqrt_one_minus_at = coefficients
        pred_x0 = (x - sqrt_one_minus_at * eps) / a_t.sqrt()
        if clip:
            pred_x0 = pred_x0.clamp(-1.0, 1.0)
            eps = (x - a_t.sqrt() * pred_x0) / sqrt_one_minus_at
        sigma_t = torch.zeros_like(a_t)
        return a_prev.sqrt() * pred_x0 + (1.0 - a_prev - sigma_t**2).sqrt() * eps
