"""CompVis ``LitEma``, reproduced bit for bit, with its silent failures turned into errors.

Same buffers (``decay`` float32 scalar, ``num_updates`` int32, one shadow per trainable parameter
named by deleting the dots, registered in that order), same float32 arithmetic:
n <- n + 1; d = min(decay, (1 + n) / (10 + n)); shadow <- shadow - (1 - d)(shadow - theta).
Differences: a dot-stripping name collision and a shadow/parameter dtype mismatch raise
``EMAError`` (upstream drops a shadow, or stops updating it, without a word).
Source: CompVis/latent-diffusion ``ldm/modules/ema.py``.
"""

from __future__ import annotations

import torch
from torch import nn

from ddpm_kit.components.ema.base_impl import EMAModule
from ddpm_kit.components.ema.lit_ema import LitEmaSpec


class LitEma(EMAModule):
    """Upstream LitEma; ``update`` ignores ``step`` beyond checking it and counts with ``num_updates``."""

    def __init__(self, spec: LitEmaSpec, model: nn.Module, *, batch_size: int | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.register_buffer("decay", torch.tensor(spec.decay, dtype=torch.float32))
        self.register_buffer("num_updates", torch.tensor(self._initial_count(), dtype=torch.int32))
        self.track(model)

    def _initial_count(self) -> int:
        return 0 if self.spec.use_num_updates else -1

    @staticmethod
    def shadow_name(param_name: str) -> str:
        """Upstream's buffer name: the parameter name with every dot deleted (collisions are refused)."""
        return param_name.replace(".", "")

    @torch.no_grad()
    def update(self, step: int, model: nn.Module) -> float:
        """One upstream ``LitEma.forward(model)``; returns the decay used (as a Python float)."""
        self._check_step(step)
        pairs = self._pairs(model)
        decay = self.decay
        if self.num_updates >= 0:
            self.num_updates += 1
            decay = min(self.decay, (1 + self.num_updates) / (10 + self.num_updates))
        one_minus_decay = 1.0 - decay
        for _, param, shadow in pairs:
            shadow.sub_(one_minus_decay * (shadow - param))
        self.last_step = step
        return float(decay)

    def reset_num_updates(self) -> None:
        """Counter back to 0 (SD ``reset_num_updates``); stays -1 when the warm-up is disabled."""
        self.num_updates.fill_(self._initial_count())
