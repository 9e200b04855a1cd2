"""CompVis ``DDPM`` methods with upstream's names, signatures and return values, for code written against
upstream (``model.p_sample(x, t)``, ``model.q_posterior(...)``, ...). Each is a thin call into
``ddpm_kit.diffusion``; the formulas live there, once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
from torch import Tensor

from ddpm_kit.diffusion import forward, parameterization, posterior
from ddpm_kit.components.samplers.ddpm_impl import AncestralSampler
from ddpm_kit.components.samplers.ddpm import DDPMSamplerSpec


def noise_like(shape: Sequence[int], device: torch.device, repeat: bool = False) -> Tensor:
    """Upstream ``noise_like``: N(0, I) of ``shape`` from the global RNG; with ``repeat`` one draw for sample 0
    repeated over the batch."""
    if repeat:
        return torch.randn((1, *shape[1:]), device=device).repeat(shape[0], *((1,) * (len(shape) - 1)))
    return torch.randn(tuple(shape), device=device)


class UpstreamMethods:
    """Mixin for ``DDPM``: what it needs from the module is declared here and set by ``DDPM.__init__``."""

    parameterization: str
    clip_denoised: bool
    log_every_t: int
    num_timesteps: int
    buffers_dict: Mapping[str, Tensor]
    apply_model: Callable[..., Tensor]  # (x, t, cond=None) -> network output

    def q_mean_variance(self, x_start: Tensor, t: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(mean, variance, log_variance) of q(x_t | x_0)."""
        return forward.q_mean_variance(x_start, t, self.buffers_dict)

    def predict_start_from_noise(self, x_t: Tensor, t: Tensor, noise: Tensor) -> Tensor:
        return parameterization.predict_start_from_noise(x_t, t, noise, self.buffers_dict)

    def predict_start_from_z_and_v(self, x_t: Tensor, t: Tensor, v: Tensor) -> Tensor:
        return parameterization.predict_start_from_z_and_v(x_t, t, v, self.buffers_dict)

    def predict_eps_from_z_and_v(self, x_t: Tensor, t: Tensor, v: Tensor) -> Tensor:
        return parameterization.predict_eps_from_z_and_v(x_t, t, v, self.buffers_dict)

    def get_v(self, x: Tensor, noise: Tensor, t: Tensor) -> Tensor:
        return parameterization.get_v(x, noise, t, self.buffers_dict)

    def q_posterior(self, x_start: Tensor, x_t: Tensor, t: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(posterior_mean, posterior_variance, posterior_log_variance_clipped) of q(x_{t-1} | x_t, x_0)."""
        return posterior.q_posterior(x_start, x_t, t, self.buffers_dict)

    def p_mean_variance(self, x: Tensor, t: Tensor, clip_denoised: bool) -> tuple[Tensor, Tensor, Tensor]:
        """(model_mean, posterior_variance, posterior_log_variance) of p(x_{t-1} | x_t) from the network
        (v-models included, on which upstream's ``DDPM.p_mean_variance`` fails)."""
        out = self.apply_model(x, t)
        return posterior.p_mean_variance(out, x, t, self.parameterization, self.buffers_dict,
                                         clip_denoised=clip_denoised)

    @torch.no_grad()
    def p_sample(self, x: Tensor, t: Tensor, clip_denoised: bool = True, repeat_noise: bool = False) -> Tensor:
        """One reverse step x_{t-1} = mean + 1[t > 0] exp(0.5 log sigma^2_t) z, z from the global RNG."""
        mean, _, log_variance = self.p_mean_variance(x, t, clip_denoised)
        noise = noise_like(x.shape, x.device, repeat_noise)
        return posterior.reverse_step(mean, log_variance, noise, t)

    @torch.no_grad()
    def p_sample_loop(self, shape: Sequence[int],
                      return_intermediates: bool = False) -> Tensor | tuple[Tensor, list[Tensor]]:
        """All T reverse steps from x_T ~ N(0, I) (global RNG, upstream's draw order), ``clip_denoised`` of
        the module; intermediates x_T, then x_t for t % log_every_t == 0 or t == T - 1."""
        sampler = AncestralSampler(DDPMSamplerSpec())
        image, intermediates = sampler.sample(
            lambda x, t: self.apply_model(x, t), self.buffers_dict, tuple(shape),
            parameterization=self.parameterization, clip_denoised=self.clip_denoised, generator=None,
            log_every_t=self.log_every_t,
        )
        return (image, intermediates) if return_intermediates else image
