"""DPM-Solver++(3M) SDE in sigma, k-diffusion's update and the third-order one; formulas and sources in
``DPMSolverPP3MSDESamplerSpec`` and ``DPMSolverPP3MSDEO3SamplerSpec``."""

from __future__ import annotations

import math
from typing import Any

from torch import Tensor

from ddpm_kit.diffusion.sampling.loop import Noise, Step
from ddpm_kit.diffusion.sampling.prediction import Denoiser, Prediction
from ddpm_kit.components.samplers.sigma_impl import SigmaSampler, state_history


class DPMSolverPP3MSDESampler(SigmaSampler):
    """Exponential step with the second and third divided differences of the last three D, plus noise.

    ``D2_SCALE`` is the factor of d2 = D2_SCALE (d1_0 - d1_1) / (r0 + r1): 1 in k-diffusion's update (d2 ~ h^2 D''
    / 2), 2 in the third-order variant (d2 ~ h^2 D'', the Taylor weight's term).
    """

    D2_SCALE: float = 1.0

    def update(self, x: Tensor, prediction: Prediction, step: Step, noise: Noise, denoiser: Denoiser,
               state: dict[str, Any]) -> Tensor:
        sigma, sigma_next = step.info["sigma"], step.info["sigma_next"]
        denoised = prediction.x0
        history = state_history(state, "denoised", denoised, 3)  # [.., D_{i-2}, D_{i-1}, D_i]
        if sigma_next == 0:
            return denoised
        h = math.log(sigma) - math.log(sigma_next)
        h_eta = h * (self.spec.eta + 1)
        x = math.exp(-h_eta) * x - math.expm1(-h_eta) * denoised
        steps = state.get("h", [])  # [.., h_{i-2}, h_{i-1}]
        phi_2 = math.expm1(-h_eta) / h_eta + 1
        if len(history) == 3:
            r0, r1 = steps[-1] / h, steps[-2] / h
            d1_0 = (denoised - history[1]) / r0
            d1_1 = (history[1] - history[0]) / r1
            d1 = d1_0 + (d1_0 - d1_1) * r0 / (r0 + r1)
            d2 = self.D2_SCALE * (d1_0 - d1_1) / (r0 + r1)
            x = x + phi_2 * d1 - (phi_2 / h_eta - 0.5) * d2
        elif len(history) == 2:
            x = x + phi_2 * (denoised - history[0]) / (steps[-1] / h)
        if self.spec.eta:
            x = x + (self.noise_draw(noise, x) * sigma_next * math.sqrt(-math.expm1(-2 * h * self.spec.eta))
                     * self.spec.s_noise)
        state["h"] = (steps + [h])[-2:]
        return x


class DPMSolverPP3MSDEO3Sampler(DPMSolverPP3MSDESampler):
    """The same step with d2 ~ h^2 D'': third order (``dpmpp_3m_sde_o3``)."""

    D2_SCALE = 2.0
