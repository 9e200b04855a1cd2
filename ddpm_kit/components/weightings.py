"""Per-sample loss weights: ``impl(spec)`` returns ``(snr: Tensor[B], parameterization) -> Tensor[B]``.

Formulas and sources are in ``ddpm_kit.specs.weightings``. Every weight is finite (or, for documented corner
cases, the exact limit) at snr = 0 and snr = inf: no 0/0 and no inf/inf is ever evaluated.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ddpm_kit.registry.kinds import check_parameterization as _check
from ddpm_kit.specs.weightings.min_snr import MinSNRWeighting
from ddpm_kit.specs.weightings.none import NoWeighting
from ddpm_kit.specs.weightings.p2 import P2Weighting

Weighting = Callable[[Tensor, str], Tensor]


def no_weighting(spec: NoWeighting) -> Weighting:
    """w = 1."""

    def weight(snr: Tensor, parameterization: str) -> Tensor:
        _check(parameterization)
        return torch.ones_like(snr)

    return weight


def min_snr_weighting(spec: MinSNRWeighting) -> Weighting:
    """x0: min(snr, gamma); eps: min(snr, gamma) / snr; v: min(snr, gamma) / (snr + 1) (Hang et al. 2023)."""
    gamma = spec.gamma

    def weight(snr: Tensor, parameterization: str) -> Tensor:
        _check(parameterization)
        clipped = snr.clamp(max=gamma)
        if parameterization == "x0":
            return clipped
        if parameterization == "eps":
            # gamma / snr where snr > gamma, else exactly 1 (the 0/0 limit at snr = 0)
            return torch.where(snr > gamma, gamma / snr.clamp(min=gamma), torch.ones_like(snr))
        return torch.where(torch.isinf(snr), torch.zeros_like(snr), clipped / (snr + 1.0))

    return weight


def p2_weighting(spec: P2Weighting) -> Weighting:
    """eps: (k + snr)^-gamma; x0: snr (k + snr)^-gamma; v: snr / (snr + 1) (k + snr)^-gamma (Choi et al. 2022)."""
    gamma, k = spec.gamma, spec.k

    def weight(snr: Tensor, parameterization: str) -> Tensor:
        _check(parameterization)
        finite = torch.isfinite(snr)
        safe = torch.where(finite, snr, torch.zeros_like(snr))
        base = (k + safe) ** -gamma
        if parameterization == "eps":
            value, at_inf = base, (0.0 if gamma > 0 else 1.0)
        elif parameterization == "x0":
            value, at_inf = safe * base, (0.0 if gamma > 1 else 1.0 if gamma == 1 else float("inf"))
        else:
            value, at_inf = safe / (safe + 1.0) * base, (0.0 if gamma > 0 else 1.0)
        return torch.where(finite, value, torch.full_like(snr, at_inf))

    return weight
