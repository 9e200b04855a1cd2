"""EMA implementations: ``impl(spec, model, *, batch_size=None) -> EMAModule``.

Every module holds the shadows as buffers and offers ``update(step, model)`` (once per optimizer
step, ``step`` = steps taken so far), ``copy_to``, ``store``/``restore``, ``reset``; ``ema_scope``
swaps the EMA weights in for the duration of a ``with`` block.
"""

from ddpm_kit.components.ema.base import EMAError, EMAModule, ema_scope
from ddpm_kit.components.ema.lit_ema import LitEma
from ddpm_kit.components.ema.strategies import ConstantEma, HalfLifeEma, PowerEma

__all__ = ["ConstantEma", "EMAError", "EMAModule", "HalfLifeEma", "LitEma", "PowerEma", "ema_scope"]
