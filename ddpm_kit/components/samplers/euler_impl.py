"""Euler on the probability-flow ODE in sigma; formula and source in ``EulerSamplerSpec``."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from ddpm_kit.diffusion.sampling.loop import Noise, Step
from ddpm_kit.diffusion.sampling.prediction import Denoiser, Prediction
from ddpm_kit.components.samplers.sigma_impl import SigmaSampler, to_d


class EulerSampler(SigmaSampler):
    """x <- x + (sigma_next - sigma) (x - D) / sigma."""

    def update(self, x: Tensor, prediction: Prediction, step: Step, noise: Noise, denoiser: Denoiser,
               state: dict[str, Any]) -> Tensor:
        sigma, sigma_next = step.info["sigma"], step.info["sigma_next"]
        return x + to_d(x, sigma, prediction.x0) * (sigma_next - sigma)
