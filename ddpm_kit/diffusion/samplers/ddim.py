"""DDIM sampling (CompVis ``DDIMSampler``); formula, timestep rule and source in ``DDIMSamplerSpec``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from ddpm_kit.diffusion.forward import Buffers
from ddpm_kit.diffusion.parameterization import predict_eps_from_z_and_v, predict_start_from_z_and_v
from ddpm_kit.diffusion.samplers.common import (
    Denoiser, check_eps_defined, check_parameterization, draw_noise, initial_noise, keep_intermediate,
    run_denoiser, timestep_batch,
)
from ddpm_kit.specs.samplers.base import ddim_timesteps
from ddpm_kit.specs.samplers.ddim import DDIMSamplerSpec


def ddim_sampling_parameters(
    alphas_cumprod: Tensor, timesteps: Sequence[int], eta: float
) -> tuple[Tensor, Tensor, Tensor]:
    """(sigmas float64, alphas float32, alphas_prev float64), each [S], exactly as upstream
    ``make_ddim_sampling_parameters`` from the float32 ``alphas_cumprod`` buffer.

    a_k = alpha_bar[tau_k]; a_prev_k = alpha_bar[tau_{k-1}], a_prev_0 = alpha_bar[0];
    sigma_k = eta sqrt((1 - a_prev) / (1 - a) (1 - a / a_prev)), with 1 / (1 - a) rounded to float32 as upstream.
    """
    cpu = alphas_cumprod.detach().cpu()
    index = torch.as_tensor(list(timesteps), dtype=torch.long)
    alphas = cpu[index]  # [S] float32
    alphas_prev = torch.cat([cpu[:1], cpu[index[:-1]]]).double()  # [S]
    # upstream divides a float64 ndarray by the float32 tensor 1 - a, which torch evaluates as
    # ndarray * (1 - a).reciprocal(): the reciprocal is rounded to float32 first
    reciprocal = (1 - alphas).reciprocal().double()
    # numpy sqrt as upstream (correctly rounded; torch's vectorized CPU sqrt is not everywhere)
    ratio = ((1 - alphas_prev) * reciprocal * (1 - alphas.double() / alphas_prev)).numpy()
    sigmas = eta * torch.from_numpy(np.sqrt(ratio))
    return sigmas, alphas, alphas_prev


class DDIMSampler:
    """S DDIM steps over ``ddim_timesteps(spacing, S, T)`` in reverse."""

    def __init__(self, spec: DDIMSamplerSpec) -> None:
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
        """(samples, intermediates). Draws as upstream: x_T, then one normal per step (also when sigma = 0).
        Intermediates: x_T, then x after step index k (counted from the clean end) when
        k % log_every_t == 0 or at the first step."""
        check_parameterization(parameterization, self.spec.parameterizations)
        problems = self.spec.check(buffers["betas"].shape[0])
        if problems:
            raise ValueError("; ".join(problems))
        device, dtype = buffers["betas"].device, buffers["betas"].dtype
        taus = ddim_timesteps(self.spec.spacing, self.spec.steps, buffers["betas"].shape[0])
        check_eps_defined(parameterization, buffers, taus[-1])
        sigmas, alphas, alphas_prev = ddim_sampling_parameters(buffers["alphas_cumprod"], taus, self.spec.eta)
        sqrt_one_minus_alphas = torch.from_numpy(np.sqrt((1.0 - alphas).numpy()))  # upstream: np.sqrt, float32

        x = initial_noise(shape, x_T, generator, buffers)
        intermediates = [x] if log_every_t is not None else []
        batch, total = x.shape[0], len(taus)
        for i, step in enumerate(reversed(taus)):
            index = total - i - 1
            t = timestep_batch(step, batch, device)
            out = run_denoiser(denoiser, x, t)
            a_t = torch.full((batch, *((1,) * (x.dim() - 1))), float(alphas[index]), device=device)  # [B, 1, ...]
            a_prev = torch.full_like(a_t, float(alphas_prev[index]))
            sigma_t = torch.full_like(a_t, float(sigmas[index]))
            sqrt_one_minus_at = torch.full_like(a_t, float(sqrt_one_minus_alphas[index]))
            if parameterization == "v":
                e_t = predict_eps_from_z_and_v(x, t, out, buffers)
                pred_x0 = predict_start_from_z_and_v(x, t, out, buffers)
            elif parameterization == "eps":
                e_t = out
                pred_x0 = (x - sqrt_one_minus_at * e_t) / a_t.sqrt()
            else:  # x0: upstream would use the output as eps
                pred_x0 = out
                e_t = (x - a_t.sqrt() * pred_x0) / sqrt_one_minus_at
            if clip_denoised:
                pred_x0 = pred_x0.clamp(-1.0, 1.0)
                e_t = (x - a_t.sqrt() * pred_x0) / sqrt_one_minus_at
            direction = (1.0 - a_prev - sigma_t**2).sqrt() * e_t
            noise = sigma_t * draw_noise(x.shape, generator, device, dtype)
            x = (a_prev.sqrt() * pred_x0 + direction + noise).to(dtype)
            if keep_intermediate(index, total - 1, log_every_t):
                intermediates.append(x)
        return x, intermediates
