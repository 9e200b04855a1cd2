"""EMA strategies whose decay depends only on the optimizer step: constant, EDM half-life, EDM2 power.

Shadows are named ``a__b__c`` for parameter ``a.b.c`` (collision-free unlike upstream's dot
deletion) and ``num_updates`` (int64) counts the updates. The decay of each update comes from
the spec's pure-Python ``decay_at(step)``, so the module holds no state that decides the decay.
"""

from __future__ import annotations

import torch
from torch import nn

from ddpm_kit.components.ema.base import EMAModule
from ddpm_kit.specs.ema.constant import ConstantEmaSpec
from ddpm_kit.specs.ema.half_life import HalfLifeEmaSpec
from ddpm_kit.specs.ema.power import PowerEmaSpec


class _StepEma(EMAModule):
    def _start(self, model: nn.Module) -> None:
        self.register_buffer("num_updates", torch.tensor(0, dtype=torch.int64))
        self.track(model)


class ConstantEma(_StepEma):
    """shadow <- decay * shadow + (1 - decay) * theta at every step."""

    def __init__(self, spec: ConstantEmaSpec, model: nn.Module, *, batch_size: int | None = None) -> None:
        super().__init__()
        self.spec = spec
        self._start(model)

    def decay_at(self, step: int) -> float:
        return self.spec.decay_at(step)


class HalfLifeEma(_StepEma):
    """EDM half-life EMA; ``batch_size`` (the effective batch) converts ``half_life_images`` to steps."""

    def __init__(self, spec: HalfLifeEmaSpec, model: nn.Module, *, batch_size: int | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.batch_size = spec.resolve_batch_size(batch_size)
        if spec.half_life_images is not None and self.batch_size is None:
            raise ValueError(
                "half_life EMA with half_life_images needs the effective batch size (images per optimizer step): "
                "set batch_size in the spec or pass batch_size= when building it"
            )
        self._start(model)

    def decay_at(self, step: int) -> float:
        return self.spec.decay_at(step, self.batch_size)


class PowerEma(_StepEma):
    """EDM2 power-function EMA, beta_t = (1 - 1/t)^(gamma + 1)."""

    def __init__(self, spec: PowerEmaSpec, model: nn.Module, *, batch_size: int | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.gamma = spec.exponent()
        self._start(model)

    def decay_at(self, step: int) -> float:
        return (1.0 - 1.0 / step) ** (self.gamma + 1.0)
