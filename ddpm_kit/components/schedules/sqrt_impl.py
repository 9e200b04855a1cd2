"""The torch twin of schedule ``sqrt`` (see ``base_impl``: why twins exist; formula and source in the spec)."""

from __future__ import annotations

from torch import Tensor

from ddpm_kit.components.schedules.base_impl import linspace_f64
from ddpm_kit.components.schedules.sqrt import SqrtSchedule


def sqrt_betas(spec: SqrtSchedule, timesteps: int) -> Tensor:
    """CompVis `sqrt`: ``linspace(start, end, T) ** 0.5``."""
    return linspace_f64(spec.linear_start, spec.linear_end, timesteps) ** 0.5
