"""The torch twin of schedule ``linear`` (see ``base_impl``: why twins exist; formula and source in the spec)."""

from __future__ import annotations

from torch import Tensor

from ddpm_kit.components.schedules.base_impl import linspace_f64
from ddpm_kit.components.schedules.linear import LinearSchedule


def linear_betas(spec: LinearSchedule, timesteps: int) -> Tensor:
    """CompVis `linear` (= `scaled_linear`): ``linspace(sqrt(start), sqrt(end), T) ** 2``."""
    return linspace_f64(spec.linear_start**0.5, spec.linear_end**0.5, timesteps) ** 2
