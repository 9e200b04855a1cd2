"""The k-diffusion family's common part: sigma levels on the discrete VP schedule and D(x, sigma).

x_sigma = x_t / sqrt(alpha_bar) = x0 + sigma eps, sigma = sqrt((1 - alpha_bar) / alpha_bar); the network sees
x_t = x_sigma / sqrt(1 + sigma^2) at the integer t of the level (``specs.samplers.sigma`` documents the choice),
and the prediction converts in the level's own frame (alpha = 1 / sqrt(1 + sigma^2), sigma_vp = alpha sigma).
Source: Karras et al. 2022, appendix C.3.1; k-diffusion ``external.DiscreteEpsDDPMDenoiser``.
"""

from __future__ import annotations

import math
from typing import Any

from torch import Tensor

from ddpm_kit.diffusion.forward import Buffers
from ddpm_kit.diffusion.sampling.common import check_eps_defined, check_parameterization, timestep_batch
from ddpm_kit.diffusion.sampling.loop import Noise, Sampler, Step
from ddpm_kit.diffusion.sampling.prediction import Denoiser, Frame, Prediction
from ddpm_kit.components.samplers.spacings import discrete_sigmas, sampler_sigmas, sigma_to_t


def vp_frame(sigma: float) -> Frame:
    """x_t = alpha x0 + sigma_vp eps at noise level sigma: alpha = 1 / sqrt(1 + sigma^2), sigma_vp = alpha sigma."""
    alpha = 1.0 / math.sqrt(1.0 + sigma * sigma)
    return Frame(alpha, alpha * sigma)


def to_d(x: Tensor, sigma: float, denoised: Tensor) -> Tensor:
    """The probability-flow ODE's dx/dsigma = (x - D(x, sigma)) / sigma (Karras et al. 2022, eq. 3)."""
    return (x - denoised) / sigma


def ancestral_step(sigma: float, sigma_next: float, eta: float) -> tuple[float, float]:
    """(sigma_down, sigma_up): sigma_up = min(sigma_next, eta sqrt(sigma_next^2 (sigma^2 - sigma_next^2) /
    sigma^2)), sigma_down = sqrt(sigma_next^2 - sigma_up^2) (k-diffusion ``get_ancestral_step``)."""
    if not eta:
        return sigma_next, 0.0
    up = min(sigma_next, eta * math.sqrt(sigma_next**2 * (sigma**2 - sigma_next**2) / sigma**2))
    return math.sqrt(sigma_next**2 - up**2), up


class SigmaSampler(Sampler):
    """A sampler in x_sigma over the spec's S levels and a last step to sigma = 0.

    Steps carry ``info`` = {sigma, sigma_next, index, count, table}; subclasses write ``update`` with
    ``self.denoise`` for extra evaluations at other sigmas."""

    def check(self, buffers: Buffers, parameterization: str) -> None:
        check_parameterization(parameterization, self.spec.parameterizations)
        problems = self.spec.check(buffers["betas"].shape[0])
        if problems:
            raise ValueError("; ".join(problems))

    def plan(self, buffers: Buffers, parameterization: str) -> list[Step]:
        alphas_cumprod = buffers["alphas_cumprod"].detach().double().cpu().tolist()
        spec = self.spec
        sigmas, taus = sampler_sigmas(spec.spacing, spec.steps, alphas_cumprod, spec.rho, spec.sigma_min,
                                      spec.sigma_max)
        check_eps_defined(parameterization, buffers, taus[0])
        table = discrete_sigmas(alphas_cumprod)
        repeated = [k for k in range(1, len(sigmas)) if not sigmas[k] < sigmas[k - 1]]
        if repeated:
            raise ValueError(f"{spec.name}: the noise levels are not strictly decreasing at level {repeated[0]} "
                             f"(sigma {sigmas[repeated[0]]:.6g}); alpha_bar is floored at 2^-24, so sigma_max is "
                             "at most 4096: use fewer steps or a lower sigma_max")
        grid = [*sigmas, 0.0]
        return [Step(tau, vp_frame(sigmas[k]), {"sigma": sigmas[k], "sigma_next": grid[k + 1], "index": k,
                                                "count": len(sigmas), "table": table})
                for k, tau in enumerate(taus)]

    def start(self, x_T: Tensor, steps: list[Step]) -> Tensor:
        """x_sigma at the first level from x_T ~ N(0, I): x_T sqrt(1 + sigma_0^2) (the VP marginal's scale)."""
        return x_T * math.sqrt(1.0 + steps[0].info["sigma"] ** 2)

    def output(self, x: Tensor, steps: list[Step], index: int) -> Tensor:
        """x_t = x_sigma / sqrt(1 + sigma^2) at the level reached (x itself at sigma = 0)."""
        return x / math.sqrt(1.0 + steps[index].info["sigma_next"] ** 2)

    def predict(self, denoiser: Denoiser, x: Tensor, step: Step) -> Prediction:
        return self._at(denoiser, x, step.info["sigma"], step.t)

    def denoise(self, denoiser: Denoiser, x: Tensor, sigma: float, step: Step) -> Tensor:
        """D(x, sigma): x0_hat at any sigma > 0, the network called at the t nearest in log sigma."""
        return self._at(denoiser, x, sigma, sigma_to_t(sigma, step.info["table"])).x0

    @staticmethod
    def _at(denoiser: Denoiser, x: Tensor, sigma: float, t: int) -> Prediction:
        frame = vp_frame(sigma)
        return denoiser(x * frame.alpha, timestep_batch(t, x.shape[0], x.device), frame)

    @staticmethod
    def noise_draw(noise: Noise, x: Tensor) -> Tensor:
        """One standard normal shaped like x, in x's dtype."""
        return noise().to(x.dtype)


def state_history(state: dict[str, Any], key: str, value: Any, keep: int) -> list[Any]:
    """The last ``keep`` values stored under ``key`` (newest last), after appending ``value``."""
    values = (state.get(key, []) + [value])[-keep:]
    state[key] = values
    return values
