"""`p2`: perception-prioritized weighting (Choi et al. 2022)."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from ddpm_kit.registry import WeightingSpec
from ddpm_kit.components.weightings.base import check_parameterization


class P2Weighting(WeightingSpec):
    """Perception-prioritized (P2) weighting: down-weight high-SNR (nearly clean) steps.

    eps: w = 1 / (k + snr)^gamma; x0: w = snr / (k + snr)^gamma; v: w = snr / ((snr + 1) (k + snr)^gamma).
    At snr = 0: 1/k^gamma (eps), 0 (x0, v). At snr = inf: 0 for eps and v; for x0 0 if gamma > 1, 1 if
    gamma = 1, inf if gamma < 1 (unreachable: snr is finite whenever beta_0 > 0).
    Source: Choi et al. 2022, "Perception Prioritized Training of Diffusion Models", eq. 8.
    """

    name: Literal["p2"] = "p2"
    gamma: float = Field(1.0, ge=0.0, le=4.0, description="strength of the down-weighting (paper: 0.5 or 1)")
    k: float = Field(1.0, gt=0.0, description="offset keeping the weight finite at snr = 0 (paper: 1)")

    def weight_reference(self, snr: float, parameterization: str) -> float:
        check_parameterization(parameterization)
        if snr < 0 or math.isnan(snr):
            raise ValueError(f"snr must be >= 0, got {snr}")
        if math.isinf(snr):
            if parameterization == "x0":
                return 0.0 if self.gamma > 1 else (1.0 if self.gamma == 1 else math.inf)
            return 0.0 if self.gamma > 0 else 1.0
        base = (self.k + snr) ** -self.gamma
        if parameterization == "eps":
            return base
        if parameterization == "x0":
            return snr * base
        return snr / (snr + 1.0) * base
