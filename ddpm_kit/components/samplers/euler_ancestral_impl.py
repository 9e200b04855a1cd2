"""Ancestral Euler in sigma; formula and source in ``EulerAncestralSamplerSpec``."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from ddpm_kit.diffusion.sampling.loop import Noise, Step
from ddpm_kit.diffusion.sampling.prediction import Denoiser, Prediction
from ddpm_kit.components.samplers.sigma_impl import SigmaSampler, ancestral_step, to_d


class EulerAncestralSampler(SigmaSampler):
    """An Euler step to sigma_down, then s_noise sigma_up z (one draw per step before the last)."""

    def update(self, x: Tensor, prediction: Prediction, step: Step, noise: Noise, denoiser: Denoiser,
               state: dict[str, Any]) -> Tensor:
        sigma, sigma_next = step.info["sigma"], step.info["sigma_next"]
        sigma_down, sigma_up = ancestral_step(sigma, sigma_next, self.spec.eta)
        x = x + to_d(x, sigma, prediction.x0) * (sigma_down - sigma)
        if sigma_next > 0:
            x = x + self.noise_draw(noise, x) * self.spec.s_noise * sigma_up
        return x
