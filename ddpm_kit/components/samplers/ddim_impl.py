"""DDIM sampling (CompVis ``DDIMSampler``); formula, timestep rule and source in ``DDIMSamplerSpec``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ddpm_kit.diffusion.forward import Buffers
from ddpm_kit.diffusion.sampling.common import check_eps_defined, timestep_batch
from ddpm_kit.diffusion.sampling.loop import Noise, Sampler, Step
from ddpm_kit.diffusion.sampling.prediction import Denoiser, Frame, Prediction
from ddpm_kit.components.samplers.spacings import ddim_timesteps


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


class DDIMSampler(Sampler):
    """S DDIM steps over ``ddim_timesteps(spacing, S, T)`` in reverse.

    Draws as upstream: x_T, then one normal per step (also when sigma = 0). eps and x0 outputs convert in
    DDIM's own float32 frame (sqrt(a_t), np.sqrt(1 - a_t)); v outputs in the buffer frame (upstream's
    ``predict_*_from_z_and_v``); the clip, when on, in DDIM's frame (eps' = (x - sqrt(a_t) x0) / sqrt(1 - a_t))."""

    def check(self, buffers: Buffers, parameterization: str) -> None:
        super().check(buffers, parameterization)
        taus = ddim_timesteps(self.spec.spacing, self.spec.steps, buffers["betas"].shape[0])
        check_eps_defined(parameterization, buffers, taus[-1])

    def plan(self, buffers: Buffers, parameterization: str) -> list[Step]:
        taus = ddim_timesteps(self.spec.spacing, self.spec.steps, buffers["betas"].shape[0])
        sigmas, alphas, alphas_prev = ddim_sampling_parameters(buffers["alphas_cumprod"], taus, self.spec.eta)
        sqrt_one_minus_alphas = torch.from_numpy(np.sqrt((1.0 - alphas).numpy()))  # upstream: np.sqrt, float32
        steps = []
        for index in reversed(range(len(taus))):
            values = {"a_t": float(alphas[index]), "a_prev": float(alphas_prev[index]),
                      "sigma_t": float(sigmas[index]), "sqrt_one_minus_at": float(sqrt_one_minus_alphas[index])}
            steps.append(Step(taus[index], None, values))
        return steps

    def predict(self, denoiser: Denoiser, x: Tensor, step: Step) -> Prediction:
        a_t, a_prev, sigma_t, sqrt_one_minus_at = _filled(x, step)
        frame = Frame(a_t.sqrt(), sqrt_one_minus_at)
        t = timestep_batch(step.t, x.shape[0], x.device)
        prediction = denoiser(x, t, None if denoiser.parameterization == "v" else frame, clip=False)
        return denoiser.clip(prediction, x, t, frame)

    def update(self, x: Tensor, prediction: Prediction, step: Step, noise: Noise, denoiser: Denoiser,
               state: dict[str, Any]) -> Tensor:
        """x_prev = sqrt(a_prev) x0_hat + sqrt(1 - a_prev - sigma^2) eps_hat + sigma z."""
        a_t, a_prev, sigma_t, _ = _filled(x, step)
        direction = (1.0 - a_prev - sigma_t**2).sqrt() * prediction.eps
        return (a_prev.sqrt() * prediction.x0 + direction + sigma_t * noise()).to(x.dtype)


def _filled(x: Tensor, step: Step) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(a_t, a_prev, sigma_t, sqrt(1 - a_t)) as [B, 1, ...] tensors filled as upstream (``torch.full``)."""
    a_t = torch.full((x.shape[0], *((1,) * (x.dim() - 1))), step.info["a_t"], device=x.device)
    return (a_t, torch.full_like(a_t, step.info["a_prev"]), torch.full_like(a_t, step.info["sigma_t"]),
            torch.full_like(a_t, step.info["sqrt_one_minus_at"]))
