"""``extras.soft_min_snr``: ``impl(spec)`` returns ``(snr: Tensor[B], parameterization) -> Tensor[B]``.

Written without 0/0 or inf/inf: gamma / (1 + gamma / snr) is 0 at snr = 0 and gamma at snr = inf.
Formula and source in ``ddpm_kit_extras.weightings``.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from ddpm_kit.registry import check_parameterization

from ddpm_kit_extras.weightings import SoftMinSNRWeighting


def soft_min_snr_weighting(spec: SoftMinSNRWeighting) -> Callable[[Tensor, str], Tensor]:
    """x0: snr gamma / (snr + gamma); eps: gamma / (snr + gamma); v: the x0 weight / (snr + 1)."""
    gamma = spec.gamma

    def weight(snr: Tensor, parameterization: str) -> Tensor:
        check_parameterization(parameterization)
        if parameterization == "eps":
            return gamma / (snr + gamma)
        x0_weight = gamma / (1.0 + gamma / snr)  # [B]; 0 at snr = 0, gamma at snr = inf
        if parameterization == "x0":
            return x0_weight
        return x0_weight / (snr + 1.0)  # v

    return weight
