"""Heun's method in sigma with optional churn; formula and source in ``HeunSamplerSpec``."""

from __future__ import annotations

import math
from typing import Any

from torch import Tensor

from ddpm_kit.diffusion.sampling.loop import Noise, Step
from ddpm_kit.diffusion.sampling.prediction import Denoiser, Prediction
from ddpm_kit.components.samplers.sigma_impl import SigmaSampler, to_d


class HeunSampler(SigmaSampler):
    """Karras et al. Algorithm 2: churn to sigma_hat, Euler, then the trapezoid correction (none to sigma = 0)."""

    def gamma(self, step: Step) -> float:
        """gamma_i = min(S_churn / S, sqrt 2 - 1) where s_tmin <= sigma <= s_tmax, else 0."""
        spec, sigma = self.spec, step.info["sigma"]
        within = sigma >= spec.s_tmin and (spec.s_tmax is None or sigma <= spec.s_tmax)
        return min(spec.s_churn / step.info["count"], math.sqrt(2.0) - 1.0) if within and spec.s_churn else 0.0

    def predict(self, denoiser: Denoiser, x: Tensor, step: Step) -> Prediction | None:
        """At sigma when there is no churn; with churn the evaluation is at sigma_hat, inside ``update``."""
        return super().predict(denoiser, x, step) if self.gamma(step) == 0 else None

    def update(self, x: Tensor, prediction: Prediction | None, step: Step, noise: Noise, denoiser: Denoiser,
               state: dict[str, Any]) -> Tensor:
        sigma, sigma_next = step.info["sigma"], step.info["sigma_next"]
        sigma_hat = sigma * (1.0 + self.gamma(step))
        if prediction is None:
            x = x + self.noise_draw(noise, x) * self.spec.s_noise * math.sqrt(sigma_hat**2 - sigma**2)
            denoised = self.denoise(denoiser, x, sigma_hat, step)
        else:
            denoised = prediction.x0
        d = to_d(x, sigma_hat, denoised)
        dt = sigma_next - sigma_hat
        if sigma_next == 0:
            return x + d * dt  # Euler on the last step
        x_2 = x + d * dt
        d_2 = to_d(x_2, sigma_next, self.denoise(denoiser, x_2, sigma_next, step))
        return x + (d + d_2) / 2 * dt
