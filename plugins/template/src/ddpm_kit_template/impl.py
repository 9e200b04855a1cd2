"""Torch implementation of the template schedule, imported by ddpm-kit only when a model is built."""

from __future__ import annotations

import torch

from ddpm_kit_template.specs import ConstantBetaSchedule


def constant_betas(spec: ConstantBetaSchedule, timesteps: int) -> torch.Tensor:
    """``impl(spec, timesteps) -> Tensor[T] float64``: beta_t = beta."""
    return torch.full((timesteps,), spec.beta, dtype=torch.float64)
