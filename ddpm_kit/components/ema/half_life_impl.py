"""The torch implementation of EMA ``half_life`` (EDM half-life): a ``StepEma`` with the spec's decay."""

from __future__ import annotations

from torch import nn

from ddpm_kit.components.ema.base_impl import StepEma
from ddpm_kit.components.ema.half_life import HalfLifeEmaSpec


class HalfLifeEma(StepEma):
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
