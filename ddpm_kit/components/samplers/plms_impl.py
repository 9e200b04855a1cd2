"""PLMS sampling (CompVis ``PLMSSampler``); formulas, timestep rule and source in ``PLMSSamplerSpec``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ddpm_kit.diffusion.forward import Buffers
from ddpm_kit.diffusion.sampling.common import timestep_batch
from ddpm_kit.components.samplers.ddim_impl import ddim_sampling_parameters
from ddpm_kit.diffusion.sampling.loop import Noise, Sampler, Step
from ddpm_kit.diffusion.sampling.prediction import Denoiser, Frame, Prediction


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


class PLMSSampler(Sampler):
    """Upstream's PLMS loop: warm-up step with two evaluations, then Adams-Bashforth of order 2-4.

    Deterministic given x_T (eta = 0: no noise is drawn after x_T). Predictions: eps in the buffer frame,
    unclipped (v and x0 outputs converted, where upstream would use them as eps); the transfer turns eps' into
    x0_hat in DDIM's float32 frame and clips there (upstream has no clipping; parity needs clip_denoised off)."""

    def check(self, buffers: Buffers, parameterization: str) -> None:
        super().check(buffers, parameterization)
        taus = self.spec.timesteps(buffers["betas"].shape[0])
        if float(buffers["alphas_cumprod"][taus[-1]]) == 0.0:
            raise ValueError(f"alpha_bar[{taus[-1]}] = 0 (zero terminal SNR): PLMS divides by sqrt(alpha_bar) at its "
                             "first step; choose steps so that the largest timestep is below T - 1")

    def plan(self, buffers: Buffers, parameterization: str) -> list[Step]:
        taus = self.spec.timesteps(buffers["betas"].shape[0])
        _, alphas, alphas_prev = ddim_sampling_parameters(buffers["alphas_cumprod"], taus, 0.0)
        sqrt_one_minus_alphas = torch.from_numpy(np.sqrt((1.0 - alphas).numpy()))  # upstream: np.sqrt, float32
        visit = list(reversed(taus))
        return [Step(tau, None, {"a_t": float(alphas[index]), "a_prev": float(alphas_prev[index]),
                                 "sqrt_one_minus_at": float(sqrt_one_minus_alphas[index]),
                                 "t_next": visit[min(i + 1, len(taus) - 1)]})
                for i, (index, tau) in enumerate(zip(reversed(range(len(taus))), visit))]

    def predict(self, denoiser: Denoiser, x: Tensor, step: Step) -> Prediction:
        return denoiser(x, timestep_batch(step.t, x.shape[0], x.device), clip=False)

    def update(self, x: Tensor, prediction: Prediction, step: Step, noise: Noise, denoiser: Denoiser,
               state: dict[str, Any]) -> Tensor:
        history: list[Tensor] = state.setdefault("history", [])
        coefficients = self._coefficients(step, x)
        eps = prediction.eps
        if not history:  # warm-up: pseudo improved Euler
            provisional = self._transfer(x, eps, coefficients, denoiser)
            t_next = timestep_batch(step.info["t_next"], x.shape[0], x.device)
            eps_next = denoiser(provisional, t_next, clip=False).eps
            eps_prime = (eps + eps_next) / 2
        else:
            eps_prime = plms_eps(eps, history)
        state["history"] = (history + [eps])[-3:]
        return self._transfer(x, eps_prime, coefficients, denoiser).to(x.dtype)

    @staticmethod
    def _coefficients(step: Step, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(a_t, a_prev, sqrt(1 - a_t)) as [B, 1, ...] tensors filled as upstream (``torch.full``)."""
        a_t = torch.full((x.shape[0], *((1,) * (x.dim() - 1))), step.info["a_t"], device=x.device)
        return a_t, torch.full_like(a_t, step.info["a_prev"]), torch.full_like(a_t, step.info["sqrt_one_minus_at"])

    def _transfer(self, x: Tensor, eps: Tensor, coefficients: tuple[Tensor, Tensor, Tensor], denoiser: Denoiser
                  ) -> Tensor:
        """DDIM eta = 0: x0_hat = (x - sqrt(1 - a_t) eps) / sqrt(a_t); x_prev = sqrt(a_prev) x0_hat +
        sqrt(1 - a_prev) eps (upstream ``get_x_prev_and_pred_x0`` with sigma = 0), clipped in that frame."""
        a_t, a_prev, sqrt_one_minus_at = coefficients
        frame = Frame(a_t.sqrt(), sqrt_one_minus_at)
        prediction = denoiser.clip(denoiser.convert(eps, x, None, frame, parameterization="eps"), x, None, frame)
        self.transferred(prediction.x0)
        sigma_t = torch.zeros_like(a_t)
        return a_prev.sqrt() * prediction.x0 + (1.0 - a_prev - sigma_t**2).sqrt() * prediction.eps

    def transferred(self, x0: Tensor) -> None:
        """Hook: the unclipped-or-clipped x0_hat of every DDIM transfer (upstream's ``pred_x0``); no-op here."""
