"""`none`: every sample weighs 1 (the DDPM simple loss)."""

from __future__ import annotations

from typing import Literal

from ddpm_kit.registry import WeightingSpec
from ddpm_kit.components.weightings.base import check_parameterization


class NoWeighting(WeightingSpec):
    """No weighting: w = 1 for every sample (the CompVis objective).

    w(snr) = 1. Source: Ho et al. 2020, L_simple.
    """

    name: Literal["none"] = "none"

    def weight_reference(self, snr: float, parameterization: str) -> float:
        check_parameterization(parameterization)
        return 1.0
