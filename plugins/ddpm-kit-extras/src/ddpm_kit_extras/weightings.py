"""Soft-min-SNR loss weighting (torch-free spec; ``weight_reference`` is the weighting: ddpm-kit tabulates it).

The weight multiplies the per-sample loss of the model's parameterization; it is written so that all
three parameterizations optimise the same x0-space objective (see ``ddpm_kit.components.weightings``):
|x0 - x0_hat|^2 = |eps - eps_hat|^2 / snr = |v - v_hat|^2 / (snr + 1).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from ddpm_kit.registry import WeightingSpec, check_parameterization


def soft_min(snr: float, gamma: float) -> float:
    """The harmonic soft minimum (1/snr + 1/gamma)^-1 = snr gamma / (snr + gamma); 0 at snr = 0, gamma at inf."""
    if math.isinf(snr):
        return gamma
    return snr * gamma / (snr + gamma)


class SoftMinSNRWeighting(WeightingSpec):
    """Soft-min-SNR weighting: min-SNR-gamma with the hard minimum replaced by a harmonic soft minimum.

    x0: w = (1/snr + 1/gamma)^-1 = snr gamma / (snr + gamma); eps: w = gamma / (snr + gamma);
    v: w = snr gamma / ((snr + gamma)(snr + 1)). Limits: at snr = 0 w = 0 (x0, v) and 1 (eps);
    at snr = inf w = gamma (x0) and 0 (eps, v). Unlike min_snr the weight is smooth at snr = gamma.
    Source: Crowson et al. 2024, "Scalable High-Resolution Pixel-Space Image Synthesis with Hourglass
    Diffusion Transformers" (HDiT), loss weighting (soft-min-SNR; with gamma = 1 / sigma_data^2 it is
    k-diffusion's ``soft-min-snr`` up to a constant factor); the hard version is Hang et al. 2023.
    """

    name: Literal["extras.soft_min_snr"] = "extras.soft_min_snr"
    gamma: float = Field(5.0, gt=0.0, le=1e4, description="SNR scale of the soft minimum (min_snr's gamma; 4 = "
                                                          "sigma_data 0.5)")

    def weight_reference(self, snr: float, parameterization: str) -> float:
        check_parameterization(parameterization)
        if snr < 0 or math.isnan(snr):
            raise ValueError(f"snr must be >= 0, got {snr}")
        if parameterization == "eps":
            return 0.0 if math.isinf(snr) else self.gamma / (snr + self.gamma)
        x0_weight = soft_min(snr, self.gamma)
        if parameterization == "x0":
            return x0_weight
        return 0.0 if math.isinf(snr) else x0_weight / (snr + 1.0)
