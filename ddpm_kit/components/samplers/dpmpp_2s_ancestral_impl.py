"""DPM-Solver++(2S) ancestral in sigma; formula and source in ``DPMSolverPP2SAncestralSamplerSpec``."""

from __future__ import annotations

import math
from typing import Any

from torch import Tensor

from ddpm_kit.diffusion.sampling.loop import Noise, Step
from ddpm_kit.diffusion.sampling.prediction import Denoiser, Prediction
from ddpm_kit.components.samplers.sigma_impl import SigmaSampler, ancestral_step, to_d


class DPMSolverPP2SAncestralSampler(SigmaSampler):
    """A 2S step to sigma_down through the midpoint sigma_s = sqrt(sigma sigma_down), then noise sigma_up."""

    def update(self, x: Tensor, prediction: Prediction, step: Step, noise: Noise, denoiser: Denoiser,
               state: dict[str, Any]) -> Tensor:
        sigma, sigma_next = step.info["sigma"], step.info["sigma_next"]
        sigma_down, sigma_up = ancestral_step(sigma, sigma_next, self.spec.eta)
        if sigma_down == 0:
            x = x + to_d(x, sigma, prediction.x0) * (sigma_down - sigma)  # Euler to 0
        else:
            h = math.log(sigma) - math.log(sigma_down)  # lambda = -log sigma
            sigma_s = math.exp(-(-math.log(sigma) + h / 2))
            x_2 = (sigma_s / sigma) * x - math.expm1(-h / 2) * prediction.x0
            denoised_2 = self.denoise(denoiser, x_2, sigma_s, step)
            x = (sigma_down / sigma) * x - math.expm1(-h) * denoised_2
        if sigma_next > 0:
            x = x + self.noise_draw(noise, x) * self.spec.s_noise * sigma_up
        return x
