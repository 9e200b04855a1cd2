"""CompVis ``PLMSSampler(model).sample(S, batch_size, shape, ...)`` with upstream's call and return shapes.

The steps are ddpm-kit's ``plms`` sampler (``ddpm_kit.components.samplers.plms_impl``) run as upstream runs them: no
clipping (upstream's PLMS has none), x_T from the global RNG when not given, eta must be 0 (upstream raises
otherwise), and the intermediates are ``{'x_inter': [x_T, ...], 'pred_x0': [x_T, ...]}`` kept when
index % log_every_t == 0 or at the first step. Timesteps: upstream's ``uniform`` DDIM timesteps, its step count
included; the S values where upstream fails are refused with a ValueError naming the reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ddpm_kit.compat.ddim import Conditioning, DDIMSampler
from ddpm_kit.diffusion.sampling.common import keep_intermediate
from ddpm_kit.components.samplers.plms_impl import PLMSSampler as _KitPLMS
from ddpm_kit.components.samplers.plms import PLMSSamplerSpec


class _RecordingPLMS(_KitPLMS):
    """The ``plms`` sampler, keeping x0_hat of every DDIM transfer it makes (the warm-up makes two)."""

    def __init__(self, spec: PLMSSamplerSpec) -> None:
        super().__init__(spec)
        self.pred_x0: list[Tensor] = []

    def transferred(self, x0: Tensor) -> None:
        self.pred_x0.append(x0)  # the same x0_hat the transfer uses (clip_denoised is off here)


class PLMSSampler(DDIMSampler):
    """Upstream ``ldm.models.diffusion.plms.PLMSSampler`` for a ddpm-kit ``DDPM`` (eps models as upstream; v and x0
    outputs converted to eps first)."""

    @torch.no_grad()
    def sample(self, S: int, batch_size: int, shape: Sequence[int], conditioning: Conditioning | None = None,
               eta: float = 0.0, x_T: Tensor | None = None, log_every_t: int = 100, verbose: bool = True,
               unconditional_guidance_scale: float = 1.0, unconditional_conditioning: Conditioning | None = None,
               ddim_discretize: str = "uniform") -> tuple[Tensor, dict[str, list[Tensor]]]:
        """(samples [B, *shape], {'x_inter': [...], 'pred_x0': [...]}); ``shape`` is (C, H, W) without the batch."""
        if eta != 0:
            raise ValueError("eta must be 0 for PLMS (as upstream)")
        if ddim_discretize != "uniform":
            raise ValueError(f"PLMS uses upstream's 'uniform' timesteps only, not {ddim_discretize!r}")
        spec = PLMSSamplerSpec(steps=S)
        problems = spec.check(self.ddpm_num_timesteps)
        if problems:
            raise ValueError("; ".join(problems))
        denoise = self._denoiser(conditioning, unconditional_guidance_scale, unconditional_conditioning)
        sampler = _RecordingPLMS(spec)
        samples, x_inter = sampler.sample(denoise, self.model.buffers_dict, (batch_size, *shape),
                                          parameterization=self.model.parameterization, clip_denoised=False,
                                          generator=None, log_every_t=log_every_t, x_T=x_T)
        per_step = sampler.pred_x0[1:]  # the warm-up's provisional transfer is not a step
        total = len(per_step)
        kept = [p for i, p in enumerate(per_step) if keep_intermediate(total - i - 1, total - 1, log_every_t)]
        return samples, {"x_inter": x_inter, "pred_x0": [x_inter[0], *kept]}
