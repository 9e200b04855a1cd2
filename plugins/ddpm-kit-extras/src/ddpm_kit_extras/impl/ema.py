"""``extras.posthoc_power``: K power-function EMA profiles and their least-squares combination.

The module is an ``EMAModule``: its regular shadows (``a__b__c`` for parameter ``a.b.c``) hold the
synthesised weights sum_k x_k profile_k, so ``copy_to``, ``ema_scope``, export and sampling work as
for any built-in strategy. The profiles are extra buffers ``p{k}__a__b__c``; ``num_updates`` counts
updates. Formulas and source in ``ddpm_kit_extras.ema``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ddpm_kit.components.ema.base_impl import EMAModule
from ddpm_kit_extras.ema import PostHocPowerEmaSpec, power_decay


class PostHocPowerEma(EMAModule):
    """Tracks one power EMA per ``spec.stds``; the shadows are their fit to ``spec.target_std``."""

    def __init__(self, spec: PostHocPowerEmaSpec, model: nn.Module, *, batch_size: int | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.gammas = spec.gammas()
        self.coefficients = spec.coefficients()
        self.register_buffer("num_updates", torch.tensor(0, dtype=torch.int64))
        self.track(model)
        for k in range(len(self.gammas)):
            for shadow in self.param_to_shadow.values():
                self.register_buffer(self.profile_name(k, shadow), getattr(self, shadow).clone())

    @staticmethod
    def profile_name(k: int, shadow: str) -> str:
        """Buffer name of profile k of a shadow: ``p{k}__{shadow}``."""
        return f"p{k}__{shadow}"

    def profiles(self, param_name: str) -> list[Tensor]:
        """The K profile tensors of one parameter."""
        shadow = self.param_to_shadow[param_name]
        return [getattr(self, self.profile_name(k, shadow)) for k in range(len(self.gammas))]

    def decay_at(self, step: int) -> float:
        """Effective decay sum_k x_k beta_k(step) (what ``update`` returns)."""
        return sum(x * power_decay(step, g) for x, g in zip(self.coefficients, self.gammas))

    @torch.no_grad()
    def update(self, step: int, model: nn.Module) -> float:
        """profile_k <- beta_k profile_k + (1 - beta_k) theta, then shadow <- sum_k x_k profile_k."""
        self._check_step(step)
        betas = [power_decay(step, g) for g in self.gammas]
        for name, param, shadow in self._pairs(model):
            profiles = self.profiles(name)
            for profile, beta in zip(profiles, betas):
                profile.lerp_(param, 1.0 - beta)
            combine(profiles, self.coefficients, out=shadow)
        self.num_updates += 1
        self.last_step = step
        return self.decay_at(step)

    @torch.no_grad()
    def reset(self, model: nn.Module) -> None:
        """Restart every profile and the shadows from the model's current weights."""
        super().reset(model)
        for name, param, _ in self._pairs(model):
            for profile in self.profiles(name):
                profile.copy_(param)


def combine(profiles: list[Tensor], coefficients: list[float], *, out: Tensor | None = None) -> Tensor:
    """sum_k x_k profile_k, accumulated in the profiles' dtype (into ``out`` when given)."""
    total = torch.zeros_like(profiles[0]) if out is None else out.zero_()
    for profile, weight in zip(profiles, coefficients):
        total.add_(profile, alpha=weight)
    return total
