"""The schedule buffers of CompVis ``DDPM.register_schedule`` and its ``lvlb_weights``.

Upstream computes every buffer in float64 numpy from float64 betas and casts it to float32; the
operations below are the same numpy operations in the same order, so the buffers are equal bitwise
(tests/diffusion/test_buffers.py). Notation: beta_t, alpha_t = 1 - beta_t,
alpha_bar_t = prod_{s<=t} alpha_s, alpha_bar_{-1} = 1, v = ``v_posterior``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import Tensor

from ddpm_kit.registry.kinds import check_parameterization

#: The persistent buffers of upstream ``register_schedule``, in upstream's registration order.
BUFFER_NAMES: tuple[str, ...] = (
    "betas",
    "alphas_cumprod",
    "alphas_cumprod_prev",
    "sqrt_alphas_cumprod",
    "sqrt_one_minus_alphas_cumprod",
    "log_one_minus_alphas_cumprod",
    "sqrt_recip_alphas_cumprod",
    "sqrt_recipm1_alphas_cumprod",
    "posterior_variance",
    "posterior_log_variance_clipped",
    "posterior_mean_coef1",
    "posterior_mean_coef2",
)

LvlbVariant = Literal["compvis", "corrected"]
LVLB_VARIANTS: tuple[str, ...] = ("compvis", "corrected")
#: Floor of the posterior variance before its log (upstream ``np.maximum(posterior_variance, 1e-20)``).
POSTERIOR_VARIANCE_FLOOR = 1e-20


def schedule_buffers_f64(betas: Tensor, v_posterior: float = 0.0) -> dict[str, Tensor]:
    """Every buffer in float64, before the cast (``BUFFER_NAMES`` plus ``alphas`` = 1 - beta).

    posterior_variance sigma^2_t = (1 - v) beta_t (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) + v beta_t;
    posterior_log_variance_clipped = log(max(sigma^2_t, 1e-20)) (so log(1e-20) at t = 0 when v = 0);
    posterior_mean_coef1 = beta_t sqrt(alpha_bar_{t-1}) / (1 - alpha_bar_t);
    posterior_mean_coef2 = (1 - alpha_bar_{t-1}) sqrt(alpha_t) / (1 - alpha_bar_t).
    Source: CompVis/latent-diffusion ``DDPM.register_schedule`` (Ho et al. 2020, eq. 6-7).
    """
    if betas.dtype != torch.float64 or betas.dim() != 1:
        raise TypeError(f"betas must be a 1-D float64 tensor, got {betas.dtype} {tuple(betas.shape)}")
    if betas.shape[0] < 2:
        raise ValueError(f"a schedule needs at least 2 timesteps, got {betas.shape[0]}")
    # numpy on purpose: upstream's numpy sqrt/log are correctly rounded, torch's vectorized CPU kernels
    # are not on every CPU, and these float64 values are what gets cast to float32.
    b = betas.detach().cpu().numpy()
    alphas = 1.0 - b
    alphas_cumprod = np.cumprod(alphas, axis=0)
    alphas_cumprod_prev = np.append(1.0, alphas_cumprod[:-1])
    with np.errstate(divide="ignore", invalid="ignore"):  # zero terminal SNR: 1/alpha_bar = inf, by design
        posterior_variance = (1 - v_posterior) * b * (1.0 - alphas_cumprod_prev) / (
            1.0 - alphas_cumprod
        ) + v_posterior * b
        arrays = {
            "betas": b,
            "alphas_cumprod": alphas_cumprod,
            "alphas_cumprod_prev": alphas_cumprod_prev,
            "sqrt_alphas_cumprod": np.sqrt(alphas_cumprod),
            "sqrt_one_minus_alphas_cumprod": np.sqrt(1.0 - alphas_cumprod),
            "log_one_minus_alphas_cumprod": np.log(1.0 - alphas_cumprod),
            "sqrt_recip_alphas_cumprod": np.sqrt(1.0 / alphas_cumprod),
            "sqrt_recipm1_alphas_cumprod": np.sqrt(1.0 / alphas_cumprod - 1),
            "posterior_variance": posterior_variance,
            "posterior_log_variance_clipped": np.log(np.maximum(posterior_variance, POSTERIOR_VARIANCE_FLOOR)),
            "posterior_mean_coef1": b * np.sqrt(alphas_cumprod_prev) / (1.0 - alphas_cumprod),
            "posterior_mean_coef2": (1.0 - alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - alphas_cumprod),
            "alphas": alphas,
        }
    return {name: torch.from_numpy(np.ascontiguousarray(value)).to(betas.device) for name, value in arrays.items()}


def schedule_buffers(betas: Tensor, v_posterior: float = 0.0) -> dict[str, Tensor]:
    """The 12 persistent float32 buffers of upstream ``register_schedule`` (names in ``BUFFER_NAMES``).

    ``betas`` is the float64 tensor from ``make_betas``. Computed in float64, then cast, as upstream.
    """
    f64 = schedule_buffers_f64(betas, v_posterior)
    return {name: f64[name].to(torch.float32) for name in BUFFER_NAMES}


def lvlb_weights(
    buffers: Mapping[str, Tensor],
    parameterization: str,
    variant: LvlbVariant = "compvis",
    *,
    betas_f64: Tensor,
) -> Tensor:
    """Per-timestep weights of ``loss_vlb`` [T], float32, computed in float32 as upstream does.

    eps: beta_t^2 / (2 sigma^2_t alpha_t (1 - alpha_bar_t)) (Ho et al. 2020, the KL term in eps form);
    x0: ``compvis`` 0.5 sqrt(alpha_bar_t) / (2 - alpha_bar_t), upstream's literal ``2. * 1 - alphas_cumprod``
    (a precedence slip); ``corrected`` 0.5 sqrt(alpha_bar_t) / (2 (1 - alpha_bar_t)), the formula as meant;
    v: all ones (both variants, as SD). Then ``w[0] = w[1]`` for every parameterization (upstream overwrite;
    for eps with v_posterior = 0 the raw w[0] is inf).
    ``betas_f64`` is needed because upstream uses float32(1 - beta) from the float64 betas, which the
    float32 ``betas`` buffer cannot reproduce bitwise.
    """
    if variant not in LVLB_VARIANTS:
        raise ValueError(f"unknown lvlb_weights variant {variant!r} (known: {', '.join(LVLB_VARIANTS)})")
    alphas_cumprod = buffers["alphas_cumprod"]
    if parameterization == "eps":
        betas = buffers["betas"]
        alphas = (1.0 - betas_f64).to(torch.float32).to(betas.device)
        weights = betas**2 / (2 * buffers["posterior_variance"] * alphas * (1 - alphas_cumprod))
    elif parameterization == "x0":
        # upstream takes np.sqrt of the float32 tensor: correctly rounded, which torch's vectorized
        # CPU sqrt is not on every CPU
        sqrt_alphas_cumprod = torch.from_numpy(np.sqrt(alphas_cumprod.detach().cpu().numpy())).to(alphas_cumprod.device)
        denominator = 2.0 - alphas_cumprod if variant == "compvis" else 2.0 * (1 - alphas_cumprod)
        weights = 0.5 * sqrt_alphas_cumprod / denominator
    else:
        check_parameterization(parameterization)
        weights = torch.ones_like(alphas_cumprod)  # v
    weights = weights.clone()
    weights[0] = weights[1]
    return weights


@dataclass(frozen=True)
class Schedule:
    """Everything ``register_schedule`` creates: persistent buffers, the non-persistent lvlb weights, T."""

    buffers: dict[str, Tensor]
    lvlb_weights: Tensor
    num_timesteps: int


def register_schedule(
    betas: Tensor, *, v_posterior: float, parameterization: str, lvlb_variant: LvlbVariant = "compvis"
) -> Schedule:
    """One call for a module: float32 buffers, lvlb weights and T from float64 betas (``make_betas``)."""
    buffers = schedule_buffers(betas, v_posterior)
    weights = lvlb_weights(buffers, parameterization, lvlb_variant, betas_f64=betas)
    if bool(torch.isnan(weights).all()):
        raise ValueError("lvlb_weights are all NaN")  # upstream's only sanity check
    return Schedule(buffers=buffers, lvlb_weights=weights, num_timesteps=int(betas.shape[0]))
