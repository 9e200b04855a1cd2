"""CompVis ``DDIMSampler(model).sample(S, batch_size, shape, ...)`` with upstream's call and return shapes.

The steps are ddpm-kit's ``ddim`` sampler (``ddpm_kit.components.samplers.ddim_impl``) run as upstream runs
them: x0 is never clamped (upstream's DDIM has no clipping; ddpm-kit's ``ddim`` clamps under
``clip_denoised``), x_T and the per-step noise come from the global RNG in upstream's order, and the
intermediates are ``{'x_inter': [x_T, ...], 'pred_x0': [x_T, ...]}`` kept when index % log_every_t == 0
or at the first step. Timesteps are ``ddim_timesteps`` (upstream's wherever upstream returns S in-range
steps; S values where upstream overshoots or crashes give exactly S steps here).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ddpm_kit.diffusion.parameterization import predict_start_from_z_and_v, split_output
from ddpm_kit.diffusion.sampling.common import keep_intermediate
from ddpm_kit.diffusion.sampling.prediction import Network
from ddpm_kit.components.samplers.ddim_impl import DDIMSampler as _KitDDIM
from ddpm_kit.components.samplers.ddim_impl import ddim_sampling_parameters
from ddpm_kit.module import DDPM
from ddpm_kit.registry.kinds import check_parameterization
from ddpm_kit.components.samplers.spacings import ddim_timesteps
from ddpm_kit.components.samplers.ddim import DDIMSamplerSpec

log = logging.getLogger(__name__)

Conditioning = dict[str, Any]  # DiffusionWrapper slots, as ``DDPM.apply_model`` takes them


class DDIMSampler:
    """Upstream ``ldm.models.diffusion.ddim.DDIMSampler`` for a ddpm-kit ``DDPM`` (eps and v models)."""

    def __init__(self, model: DDPM, schedule: str = "linear") -> None:
        self.model = model
        self.ddpm_num_timesteps = model.num_timesteps
        self.schedule = schedule
        self.spec: DDIMSamplerSpec | None = None

    def make_schedule(self, ddim_num_steps: int, ddim_discretize: str = "uniform", ddim_eta: float = 0.0,
                      verbose: bool = True) -> DDIMSamplerSpec:
        """Set ``ddim_timesteps`` (np.ndarray), ``ddim_sigmas``, ``ddim_alphas``, ``ddim_alphas_prev`` and
        ``ddim_sqrt_one_minus_alphas`` as upstream (``make_ddim_sampling_parameters``)."""
        self.spec = DDIMSamplerSpec(steps=ddim_num_steps, eta=ddim_eta, spacing=ddim_discretize)
        problems = self.spec.check(self.ddpm_num_timesteps)
        if problems:
            raise ValueError("; ".join(problems))
        self.ddim_timesteps = np.asarray(ddim_timesteps(ddim_discretize, ddim_num_steps, self.ddpm_num_timesteps))
        sigmas, alphas, alphas_prev = ddim_sampling_parameters(self.model.alphas_cumprod, self.ddim_timesteps.tolist(),
                                                               ddim_eta)
        self.ddim_sigmas, self.ddim_alphas, self.ddim_alphas_prev = sigmas, alphas, alphas_prev.numpy()
        self.ddim_sqrt_one_minus_alphas = np.sqrt(1.0 - alphas.numpy())
        if verbose:
            log.info("DDIM: %d steps %s, eta %g", ddim_num_steps, self.ddim_timesteps.tolist(), ddim_eta)
        return self.spec

    @torch.no_grad()
    def sample(self, S: int, batch_size: int, shape: Sequence[int], conditioning: Conditioning | None = None,
               eta: float = 0.0, x_T: Tensor | None = None, log_every_t: int = 100, verbose: bool = True,
               unconditional_guidance_scale: float = 1.0, unconditional_conditioning: Conditioning | None = None,
               ddim_discretize: str = "uniform") -> tuple[Tensor, dict[str, list[Tensor]]]:
        """(samples [B, *shape], {'x_inter': [...], 'pred_x0': [...]}); ``shape`` is (C, H, W) without the batch."""
        parameterization = self.model.parameterization
        check_parameterization(parameterization)
        if parameterization == "x0":
            raise ValueError(f"compat.DDIMSampler reproduces upstream, which treats a {parameterization!r} model's "
                             "output as eps; sample an x0 model with ddpm-kit's 'ddim' sampler instead")
        spec = self.make_schedule(S, ddim_discretize=ddim_discretize, ddim_eta=eta, verbose=verbose)
        denoise = self._denoiser(conditioning, unconditional_guidance_scale, unconditional_conditioning)
        index_of = {int(tau): k for k, tau in enumerate(self.ddim_timesteps)}
        pred_x0: list[Tensor] = []

        def recording(x: Tensor, t: Tensor) -> Tensor:
            out = denoise(x, t)
            pred_x0.append(self._pred_x0(out, x, t, index_of[int(t[0])]))
            return out

        buffers = self.model.buffers_dict
        samples, x_inter = _KitDDIM(spec).sample(
            recording, buffers, (batch_size, *shape), parameterization=parameterization, clip_denoised=False,
            generator=None, log_every_t=log_every_t, x_T=x_T)
        total = len(self.ddim_timesteps)
        kept = [p for i, p in enumerate(pred_x0) if keep_intermediate(total - i - 1, total - 1, log_every_t)]
        return samples, {"x_inter": x_inter, "pred_x0": [x_inter[0], *kept]}

    def _pred_x0(self, out: Tensor, x: Tensor, t: Tensor, index: int) -> Tensor:
        """x0_hat as the DDIM step computes it (same arithmetic as ``ddpm_kit.components.samplers.ddim_impl``)."""
        if self.model.parameterization == "v":
            return predict_start_from_z_and_v(x, t, out, self.model.buffers_dict)
        shape = (x.shape[0], *((1,) * (x.dim() - 1)))
        alpha = torch.full(shape, float(self.ddim_alphas[index]), device=x.device).sqrt()
        sigma = torch.full(shape, float(self.ddim_sqrt_one_minus_alphas[index]), device=x.device)
        return split_output(out, x, alpha, sigma, "eps")[0]

    def _denoiser(self, cond: Conditioning | None, scale: float, uncond: Conditioning | None) -> Network:
        """upstream ``p_sample_ddim``'s model call: plain, or out_u + s (out_c - out_u) on one doubled batch."""
        model = self.model
        if uncond is None or scale == 1.0:
            return lambda x, t: model.apply_model(x, t, cond)
        both = {key: _cat(uncond[key], cond[key]) for key in cond}

        def guided(x: Tensor, t: Tensor) -> Tensor:
            out_uncond, out_cond = model.apply_model(torch.cat([x, x]), torch.cat([t, t]), both).chunk(2)
            return out_uncond + scale * (out_cond - out_uncond)

        return guided


def _cat(a: Any, b: Any) -> Any:
    """Concatenate two condition slots (a tensor, or DiffusionWrapper's list of tensors) along the batch."""
    if isinstance(a, list):
        return [torch.cat([x, y]) for x, y in zip(a, b)]
    return torch.cat([a, b])
