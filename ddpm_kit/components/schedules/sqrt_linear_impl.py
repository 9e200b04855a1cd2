"""The torch twin of schedule ``sqrt_linear`` (see ``base_impl``: why twins exist; formula and source in the spec)."""

from __future__ import annotations

from torch import Tensor

from ddpm_kit.components.schedules.base_impl import linspace_f64
from ddpm_kit.components.schedules.sqrt_linear import SqrtLinearSchedule


def sqrt_linear_betas(spec: SqrtLinearSchedule, timesteps: int) -> Tensor:
    """CompVis `sqrt_linear` (linear in beta): ``linspace(start, end, T)``."""
    return linspace_f64(spec.linear_start, spec.linear_end, timesteps)
