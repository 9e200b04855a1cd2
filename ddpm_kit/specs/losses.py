"""Element-wise losses and per-sample loss weightings (torch-free specs).

A loss gives one number per sample: the element-wise error averaged over every non-batch axis (CompVis
``get_loss(..., mean=False).mean([1, 2, 3])``, here for any rank). A weighting multiplies that per-sample
simple loss by w(SNR(t)); see ``ddpm_kit.diffusion.objective`` for where exactly.

Weights are given for every parameterization in the form that makes them the same objective: with
snr = alpha_bar / (1 - alpha_bar), |x0 - x0_hat|^2 = |eps - eps_hat|^2 / snr and
|v - v_hat|^2 = |eps - eps_hat|^2 (snr + 1) / snr.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

from pydantic import Field

from ddpm_kit.registry import LossSpec, WeightingSpec

_LOSSES = "ddpm_kit.components.losses"
_WEIGHTINGS = "ddpm_kit.components.weightings"


class L2Loss(LossSpec):
    """Squared error (CompVis `l2`): L_b = mean over non-batch axes of (target - prediction)^2.

    Source: CompVis ``DDPM.get_loss`` (``mse_loss(..., reduction="none")``); Ho et al. 2020's L_simple.
    """

    name: Literal["l2"] = "l2"
    impl: ClassVar[str] = f"{_LOSSES}:l2_loss"


class L1Loss(LossSpec):
    """Absolute error (CompVis `l1`): L_b = mean over non-batch axes of |target - prediction|.

    Source: CompVis ``DDPM.get_loss`` (``(target - pred).abs()``).
    """

    name: Literal["l1"] = "l1"
    impl: ClassVar[str] = f"{_LOSSES}:l1_loss"


class HuberLoss(LossSpec):
    """Huber error: quadratic below `delta`, linear above; L_b = mean over non-batch axes.

    h(r) = 0.5 r^2 if |r| <= delta else delta (|r| - 0.5 delta), r = target - prediction
    (``torch.nn.functional.huber_loss``; note 0.5 r^2 is half the `l2` error). Source: Huber 1964.
    """

    name: Literal["huber"] = "huber"
    impl: ClassVar[str] = f"{_LOSSES}:huber_loss"
    delta: float = Field(1.0, gt=0.0, description="residual size where the loss turns from quadratic to linear")


class NoWeighting(WeightingSpec):
    """No weighting: w = 1 for every sample (the CompVis objective).

    w(snr) = 1. Source: Ho et al. 2020, L_simple.
    """

    name: Literal["none"] = "none"
    impl: ClassVar[str] = f"{_WEIGHTINGS}:no_weighting"

    def weight_reference(self, snr: float, parameterization: str) -> float:
        _check_parameterization(parameterization)
        return 1.0


def _check_parameterization(parameterization: str) -> None:
    if parameterization not in ("eps", "x0", "v"):
        raise ValueError(f"unknown parameterization {parameterization!r} (known: eps, x0, v)")


class MinSNRWeighting(WeightingSpec):
    """Min-SNR-gamma weighting: clamp the effective x0-loss weight at `gamma`.

    x0: w = min(snr, gamma); eps: w = min(snr, gamma) / snr (= 1 where snr <= gamma, so 1 at snr = 0);
    v: w = min(snr, gamma) / (snr + 1). All finite on [0, inf] (0 at snr = inf for eps and v, gamma for x0).
    Source: Hang et al. 2023, "Efficient Diffusion Training via Min-SNR Weighting Strategy".
    """

    name: Literal["min_snr"] = "min_snr"
    impl: ClassVar[str] = f"{_WEIGHTINGS}:min_snr_weighting"
    gamma: float = Field(5.0, gt=0.0, description="SNR above which the weight stops growing (paper: 5)")

    def weight_reference(self, snr: float, parameterization: str) -> float:
        _check_parameterization(parameterization)
        if snr < 0 or math.isnan(snr):
            raise ValueError(f"snr must be >= 0, got {snr}")
        clipped = min(snr, self.gamma)
        if parameterization == "x0":
            return clipped
        if parameterization == "eps":
            return 1.0 if snr <= self.gamma else self.gamma / snr
        return 0.0 if math.isinf(snr) else clipped / (snr + 1.0)


class P2Weighting(WeightingSpec):
    """Perception-prioritized (P2) weighting: down-weight high-SNR (nearly clean) steps.

    eps: w = 1 / (k + snr)^gamma; x0: w = snr / (k + snr)^gamma; v: w = snr / ((snr + 1) (k + snr)^gamma).
    At snr = 0: 1/k^gamma (eps), 0 (x0, v). At snr = inf: 0 for eps and v; for x0 0 if gamma > 1, 1 if
    gamma = 1, inf if gamma < 1 (unreachable: snr is finite whenever beta_0 > 0).
    Source: Choi et al. 2022, "Perception Prioritized Training of Diffusion Models", eq. 8.
    """

    name: Literal["p2"] = "p2"
    impl: ClassVar[str] = f"{_WEIGHTINGS}:p2_weighting"
    gamma: float = Field(1.0, ge=0.0, le=4.0, description="strength of the down-weighting (paper: 0.5 or 1)")
    k: float = Field(1.0, gt=0.0, description="offset keeping the weight finite at snr = 0 (paper: 1)")

    def weight_reference(self, snr: float, parameterization: str) -> float:
        _check_parameterization(parameterization)
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
