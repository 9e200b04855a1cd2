"""`lit_ema`: CompVis LitEma, decay min(decay, (1 + n) / (10 + n))."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ddpm_kit.components.ema.base import IMPL_PACKAGE, check_step, decay_to_half_life
from ddpm_kit.registry import EMASpec


class LitEmaSpec(EMASpec):
    """CompVis LitEma: decay_n = min(decay, (1 + n) / (10 + n)) with the already-incremented counter n.

    shadow <- shadow - (1 - decay_n) (shadow - theta), for every parameter that required grad when
    the EMA was created; n is the ``num_updates`` buffer (int32, -1 disables the warm-up), so the
    first update uses 2/11. Buffers ``decay``, ``num_updates`` and one shadow per parameter named by
    deleting the dots (``model_ema.diffusion_modelout2weight``), so upstream checkpoints load.
    Upstream updates once per micro-batch; ddpm-kit calls ``update`` once per optimizer step,
    so with gradient accumulation n counts optimizer steps. ``decay_at(step)`` assumes n = step.
    Source: CompVis/latent-diffusion ``ldm/modules/ema.py``.
    """

    name: Literal["lit_ema"] = "lit_ema"
    decay: float = Field(0.9999, ge=0.0, le=1.0, description="upper bound of the per-update decay")
    use_num_updates: bool = Field(
        True, description="warm-up min(decay, (1+n)/(10+n)); false keeps the decay fixed (num_updates = -1)"
    )
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.lit_ema_impl:LitEma"

    def decay_at(self, step: int) -> float:
        """Decay used by the update that brings the counter to n = step (float64; the module uses float32)."""
        check_step(step)
        if not self.use_num_updates:
            return self.decay
        return min(self.decay, (1 + step) / (10 + step))

    def half_life_steps(self, step: int, batch_size: int | None = None) -> float | None:
        return decay_to_half_life(self.decay_at(step))
