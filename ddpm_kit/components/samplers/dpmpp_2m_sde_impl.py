"""DPM-Solver++(2M) SDE in sigma; formula and source in ``DPMSolverPP2MSDESamplerSpec``."""

from __future__ import annotations

import math
from typing import Any

from torch import Tensor

from ddpm_kit.diffusion.sampling.loop import Noise, Step
from ddpm_kit.diffusion.sampling.prediction import Denoiser, Prediction
from ddpm_kit.components.samplers.sigma_impl import SigmaSampler


class DPMSolverPP2MSDESampler(SigmaSampler):
    """First-order exponential step plus the midpoint / Heun correction from the previous D, plus noise."""

    def update(self, x: Tensor, prediction: Prediction, step: Step, noise: Noise, denoiser: Denoiser,
               state: dict[str, Any]) -> Tensor:
        sigma, sigma_next = step.info["sigma"], step.info["sigma_next"]
        denoised, previous, h_last = prediction.x0, state.get("denoised"), state.get("h")
        state["denoised"] = denoised
        if sigma_next == 0:
            return denoised
        eta = self.spec.eta
        h = math.log(sigma) - math.log(sigma_next)
        eta_h = eta * h
        phi = -math.expm1(-h - eta_h)
        x = (sigma_next / sigma) * math.exp(-eta_h) * x + phi * denoised
        if previous is not None:
            r = h_last / h
            if self.spec.solver_type == "heun":
                x = x + (phi / (-h - eta_h) + 1) * (1 / r) * (denoised - previous)
            else:
                x = x + 0.5 * phi * (1 / r) * (denoised - previous)
        if eta:
            x = x + self.noise_draw(noise, x) * sigma_next * math.sqrt(-math.expm1(-2 * eta_h)) * self.spec.s_noise
        state["h"] = h
        return x
