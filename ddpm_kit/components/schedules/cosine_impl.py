"""The torch twin of schedule ``cosine`` (see ``base_impl``: why twins exist; formula and source in the spec)."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ddpm_kit.components.schedules.base_impl import F64
from ddpm_kit.components.schedules.cosine import CosineSchedule


def cosine_betas(spec: CosineSchedule, timesteps: int) -> Tensor:
    """CompVis `cosine`: f = cos^2((i/T + s) / (1 + s) * pi/2), f /= f[0], beta = clip(1 - f[1:]/f[:-1], 0, 0.999)."""
    steps = torch.arange(timesteps + 1, dtype=F64) / timesteps + spec.cosine_s  # [T+1]
    f = torch.cos(steps / (1 + spec.cosine_s) * math.pi / 2).pow(2)
    f = f / f[0]
    return torch.clamp(1 - f[1:] / f[:-1], min=0.0, max=0.999)
