"""The torch implementation of EMA ``power`` (EDM2 power): a ``StepEma`` with the spec's decay."""

from __future__ import annotations

from torch import nn

from ddpm_kit.components.ema.base_impl import StepEma
from ddpm_kit.components.ema.power import PowerEmaSpec


class PowerEma(StepEma):
    """EDM2 power-function EMA, beta_t = (1 - 1/t)^(gamma + 1)."""

    def __init__(self, spec: PowerEmaSpec, model: nn.Module, *, batch_size: int | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.gamma = spec.exponent()
        self._start(model)

    def decay_at(self, step: int) -> float:
        return (1.0 - 1.0 / step) ** (self.gamma + 1.0)
