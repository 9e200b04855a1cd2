"""Ancestral DDPM sampling (CompVis ``p_sample_loop``); formula and source in ``DDPMSamplerSpec``."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from ddpm_kit.diffusion.forward import Buffers
from ddpm_kit.diffusion.posterior import q_posterior, reverse_step
from ddpm_kit.diffusion.sampling.common import check_eps_defined, timestep_batch
from ddpm_kit.diffusion.sampling.loop import Noise, Sampler, Step
from ddpm_kit.diffusion.sampling.prediction import Denoiser, Prediction


class AncestralSampler(Sampler):
    """All T reverse steps, t = T-1 .. 0, each x_{t-1} ~ p(x_{t-1} | x_t) with the fixed posterior variance.

    Draws as upstream: x_T, then one normal per step, also at t = 0 where it is masked; x0_hat in the
    buffer frame (upstream's ``predict_start_from_noise``), so upstream's numbers."""

    def check(self, buffers: Buffers, parameterization: str) -> None:
        super().check(buffers, parameterization)
        check_eps_defined(parameterization, buffers, buffers["betas"].shape[0] - 1)

    def plan(self, buffers: Buffers, parameterization: str) -> list[Step]:
        return [Step(t) for t in reversed(range(buffers["betas"].shape[0]))]

    def update(self, x: Tensor, prediction: Prediction, step: Step, noise: Noise, denoiser: Denoiser,
               state: dict[str, Any]) -> Tensor:
        t = timestep_batch(step.t, x.shape[0], x.device)
        mean, _, log_variance = q_posterior(prediction.x0, x, t, denoiser.buffers)
        return reverse_step(mean, log_variance, noise(), t)
