"""Ancestral DDPM sampling (CompVis ``p_sample_loop``); formula and source in ``DDPMSamplerSpec``."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ddpm_kit.diffusion.forward import Buffers
from ddpm_kit.diffusion.posterior import p_mean_variance, reverse_step
from ddpm_kit.diffusion.samplers.common import (
    Denoiser, check_eps_defined, check_parameterization, draw_noise, initial_noise, keep_intermediate,
    run_denoiser, timestep_batch,
)
from ddpm_kit.specs.samplers.ddpm import DDPMSamplerSpec


class AncestralSampler:
    """All T reverse steps, t = T-1 .. 0, each x_{t-1} ~ p(x_{t-1} | x_t) with the fixed posterior variance."""

    def __init__(self, spec: DDPMSamplerSpec) -> None:
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
        """(x_0 samples, intermediates): upstream's draws in upstream's order (x_T, then one normal per
        step, also at t = 0 where it is masked), so a generator seeded like upstream's global RNG gives
        upstream's numbers. Intermediates: x_T, then x_t for t % log_every_t == 0 or t == T - 1."""
        check_parameterization(parameterization, self.spec.parameterizations)
        device, dtype = buffers["betas"].device, buffers["betas"].dtype
        num_timesteps = buffers["betas"].shape[0]
        check_eps_defined(parameterization, buffers, num_timesteps - 1)
        x = initial_noise(shape, x_T, generator, buffers)
        intermediates = [x] if log_every_t is not None else []
        batch = x.shape[0]
        for i in reversed(range(num_timesteps)):
            t = timestep_batch(i, batch, device)
            out = run_denoiser(denoiser, x, t)
            mean, _, log_variance = p_mean_variance(
                out, x, t, parameterization, buffers, clip_denoised=clip_denoised
            )
            noise = draw_noise(x.shape, generator, device, dtype)
            x = reverse_step(mean, log_variance, noise, t)
            if keep_intermediate(i, num_timesteps - 1, log_every_t):
                intermediates.append(x)
        return x, intermediates
