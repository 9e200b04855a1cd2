"""`plms`: pseudo linear multistep sampling (Liu et al. 2022) as CompVis ``PLMSSampler``."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ddpm_kit.components.samplers.base import IMPL_PACKAGE
from ddpm_kit.components.samplers.spacings import upstream_ddim_timesteps
from ddpm_kit.registry import SamplerSpec


class PLMSSamplerSpec(SamplerSpec):
    """PLMS over upstream's DDIM ``uniform`` timesteps, n steps, n + 1 network evaluations.

    eps' at step i (eps_j = raw network output j steps back): i = 0 "pseudo improved Euler", the mean of eps
    at (x, tau_k) and eps at the provisional DDIM point and the next tau; i = 1: (3 eps - eps_1) / 2;
    i = 2: (23 eps - 16 eps_1 + 5 eps_2) / 12; i >= 3: (55 eps - 59 eps_1 + 37 eps_2 - 9 eps_3) / 24
    (Adams-Bashforth, orders 2-4). Update: the DDIM eta = 0 transfer with eps'.
    Timesteps: upstream's ``make_ddim_timesteps('uniform', S, T)`` exactly, including its step count
    n = ceil(T / (T // S)), which exceeds S when S does not divide T (T=1000, S=15: 16 steps); the
    timestep spacing is upstream's only one. eta must be 0 (upstream raises otherwise), hence no eta field.
    Upstream fails (``check``) for S > T and wherever the last timestep is T. Upstream uses every network
    output as eps; here v and x0 outputs are converted to eps first (eps models: upstream's numbers).
    Source: Liu et al. 2022, "Pseudo Numerical Methods for Diffusion Models on Manifolds";
    CompVis ``ldm/models/diffusion/plms.py``.
    """

    name: Literal["plms"] = "plms"
    stochastic: ClassVar[bool] = False
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.plms_impl:PLMSSampler"
    steps: int = Field(50, ge=1, description="S: upstream's ddim_num_steps (steps taken: ceil(T / (T // S)))")

    def timesteps(self, timesteps: int) -> list[int]:
        """The visited timesteps, ascending (upstream's ``ddim_timesteps``)."""
        return upstream_ddim_timesteps("uniform", self.steps, timesteps)

    def num_steps(self, timesteps: int) -> int:
        """Network evaluations: one per step plus the warm-up's second one."""
        if self.steps > timesteps:
            return self.steps + 1
        return len(self.timesteps(timesteps)) + 1

    def check(self, timesteps: int) -> list[str]:
        if self.steps > timesteps:
            return [f"plms steps={self.steps} exceeds T={timesteps} (upstream: ValueError)"]
        taus = self.timesteps(timesteps)
        if max(taus) >= timesteps:
            stride = timesteps // self.steps
            return [
                f"plms steps={self.steps} at T={timesteps}: the stride {stride} divides T - 1, so upstream's last "
                f"timestep is {max(taus)} = T (upstream: IndexError); choose steps so that T // steps does not "
                f"divide {timesteps - 1}"
            ]
        return []
