"""The torch implementation of EMA ``constant`` (constant): a ``StepEma`` with the spec's decay."""

from __future__ import annotations

from torch import nn

from ddpm_kit.components.ema.base_impl import StepEma
from ddpm_kit.components.ema.constant import ConstantEmaSpec


class ConstantEma(StepEma):
    """shadow <- decay * shadow + (1 - decay) * theta at every step."""

    def __init__(self, spec: ConstantEmaSpec, model: nn.Module, *, batch_size: int | None = None) -> None:
        super().__init__()
        self.spec = spec
        self._start(model)

    def decay_at(self, step: int) -> float:
        return self.spec.decay_at(step)
