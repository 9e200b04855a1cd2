"""`min_snr`: Min-SNR-gamma weighting (Hang et al. 2023)."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from ddpm_kit.registry import WeightingSpec
from ddpm_kit.components.weightings.base import check_parameterization


class MinSNRWeighting(WeightingSpec):
    """Min-SNR-gamma weighting: clamp the effective x0-loss weight at `gamma`.

    x0: w = min(snr, gamma); eps: w = min(snr, gamma) / snr (= 1 where snr <= gamma, so 1 at snr = 0);
    v: w = min(snr, gamma) / (snr + 1). All finite on [0, inf] (0 at snr = inf for eps and v, gamma for x0).
    Source: Hang et al. 2023, "Efficient Diffusion Training via Min-SNR Weighting Strategy".
    """

    name: Literal["min_snr"] = "min_snr"
    gamma: float = Field(5.0, gt=0.0, description="SNR above which the weight stops growing (paper: 5)")

    def weight_reference(self, snr: float, parameterization: str) -> float:
        check_parameterization(parameterization)
        if snr < 0 or math.isnan(snr):
            raise ValueError(f"snr must be >= 0, got {snr}")
        clipped = min(snr, self.gamma)
        if parameterization == "x0":
            return clipped
        if parameterization == "eps":
            return 1.0 if snr <= self.gamma else self.gamma / snr
        return 0.0 if math.isinf(snr) else clipped / (snr + 1.0)
