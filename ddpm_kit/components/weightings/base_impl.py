"""The loss-weight table of a model: w[t] = w(SNR(t)) for t = 0..T-1, built once with the model.

A weighting is one class, its spec: ``weight_reference(snr, parameterization)`` is the formula (formulas
and sources in ``ddpm_kit.components.weightings``). The model evaluates it at each timestep's SNR into a [T]
table (as it holds ``lvlb_weights``) and looks the weights of a batch up by t, so no weighting formula is
written twice and none runs per step.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ddpm_kit.registry import WeightingSpec
from ddpm_kit.registry.kinds import check_parameterization, snr_from_alpha_bar


def weight_table(spec: WeightingSpec, alphas_cumprod: Tensor, parameterization: str) -> Tensor:
    """w[t] = ``spec.weight_reference(SNR_t, parameterization)`` [T] float64, SNR_t = alpha_bar_t / (1 - alpha_bar_t)
    of the float32 ``alphas_cumprod`` buffer in float64 (inf where alpha_bar rounds to 1, 0 at zero terminal SNR).

    ValueError naming the weighting when a weight is not finite and >= 0, or the parameterization unknown.
    """
    check_parameterization(parameterization)
    snrs = [snr_from_alpha_bar(a) for a in alphas_cumprod.detach().double().cpu().tolist()]
    weights = [spec.weight_reference(snr, parameterization) for snr in snrs]
    bad = [t for t, w in enumerate(weights) if not (isinstance(w, (int, float)) and math.isfinite(w) and w >= 0)]
    if bad:
        raise ValueError(f"weighting {spec.name!r} gave weights that are not finite and >= 0 at t={bad[:5]} "
                         f"(e.g. {weights[bad[0]]!r} at SNR {snrs[bad[0]]!r})")
    return torch.tensor(weights, dtype=torch.float64, device=alphas_cumprod.device)
