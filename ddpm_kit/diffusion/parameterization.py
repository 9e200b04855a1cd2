"""Conversions between the network output (eps, x0 or v), x_0 and eps; the training target.

Sign conventions are Stable Diffusion's (Salimans & Ho 2022, "Progressive Distillation", v-prediction):
v = sqrt(alpha_bar) eps - sqrt(1 - alpha_bar) x0, x0 = sqrt(alpha_bar) x_t - sqrt(1 - alpha_bar) v,
eps = sqrt(alpha_bar) v + sqrt(1 - alpha_bar) x_t. The ``*_from_*`` functions use the float32 buffers
exactly as upstream; ``split_output`` works from per-sample (alpha, sigma) for samplers.
"""

from __future__ import annotations

from torch import Tensor

from ddpm_kit.diffusion.forward import Buffers, extract
from ddpm_kit.registry.kinds import check_parameterization

__all__ = ["get_v", "predict_eps", "predict_eps_from_z_and_v", "predict_start_from_noise",
           "predict_start_from_z_and_v", "predict_x0", "split_output", "training_target"]


def predict_start_from_noise(x_t: Tensor, t: Tensor, noise: Tensor, buffers: Buffers) -> Tensor:
    """x0 = sqrt(1 / alpha_bar_t) x_t - sqrt(1 / alpha_bar_t - 1) eps."""
    return (
        extract(buffers["sqrt_recip_alphas_cumprod"], t, x_t.shape) * x_t
        - extract(buffers["sqrt_recipm1_alphas_cumprod"], t, x_t.shape) * noise
    )


def predict_start_from_z_and_v(x_t: Tensor, t: Tensor, v: Tensor, buffers: Buffers) -> Tensor:
    """x0 = sqrt(alpha_bar_t) x_t - sqrt(1 - alpha_bar_t) v."""
    return (
        extract(buffers["sqrt_alphas_cumprod"], t, x_t.shape) * x_t
        - extract(buffers["sqrt_one_minus_alphas_cumprod"], t, x_t.shape) * v
    )


def predict_eps_from_z_and_v(x_t: Tensor, t: Tensor, v: Tensor, buffers: Buffers) -> Tensor:
    """eps = sqrt(alpha_bar_t) v + sqrt(1 - alpha_bar_t) x_t."""
    return (
        extract(buffers["sqrt_alphas_cumprod"], t, x_t.shape) * v
        + extract(buffers["sqrt_one_minus_alphas_cumprod"], t, x_t.shape) * x_t
    )


def get_v(x0: Tensor, noise: Tensor, t: Tensor, buffers: Buffers) -> Tensor:
    """v = sqrt(alpha_bar_t) eps - sqrt(1 - alpha_bar_t) x0."""
    return (
        extract(buffers["sqrt_alphas_cumprod"], t, x0.shape) * noise
        - extract(buffers["sqrt_one_minus_alphas_cumprod"], t, x0.shape) * x0
    )


def predict_x0(model_output: Tensor, x_t: Tensor, t: Tensor, parameterization: str, buffers: Buffers) -> Tensor:
    """The network's estimate of x0: eps via ``predict_start_from_noise``, x0 as is, v via
    ``predict_start_from_z_and_v`` (upstream's ``p_mean_variance`` lacks the v branch)."""
    check_parameterization(parameterization)
    if parameterization == "eps":
        return predict_start_from_noise(x_t, t, model_output, buffers)
    if parameterization == "x0":
        return model_output
    return predict_start_from_z_and_v(x_t, t, model_output, buffers)


def predict_eps(model_output: Tensor, x_t: Tensor, t: Tensor, parameterization: str, buffers: Buffers) -> Tensor:
    """The network's estimate of eps: eps as is; v via ``predict_eps_from_z_and_v``;
    x0: eps = (sqrt(1 / alpha_bar_t) x_t - x0) / sqrt(1 / alpha_bar_t - 1) (``predict_start_from_noise`` solved
    for eps)."""
    check_parameterization(parameterization)
    if parameterization == "eps":
        return model_output
    if parameterization == "v":
        return predict_eps_from_z_and_v(x_t, t, model_output, buffers)
    return (
        extract(buffers["sqrt_recip_alphas_cumprod"], t, x_t.shape) * x_t - model_output
    ) / extract(buffers["sqrt_recipm1_alphas_cumprod"], t, x_t.shape)


def training_target(parameterization: str, x0: Tensor, noise: Tensor, t: Tensor, buffers: Buffers) -> Tensor:
    """What the network regresses: eps -> noise, x0 -> x0, v -> ``get_v(x0, noise, t)``."""
    check_parameterization(parameterization)
    if parameterization == "eps":
        return noise
    if parameterization == "x0":
        return x0
    return get_v(x0, noise, t, buffers)


def split_output(
    model_output: Tensor, x_t: Tensor, alpha: Tensor, sigma: Tensor, parameterization: str
) -> tuple[Tensor, Tensor]:
    """(x0_hat, eps_hat) from the output, with x_t = alpha x0 + sigma eps; ``alpha``/``sigma`` broadcastable
    ([B, 1, ...]), alpha = sqrt(alpha_bar), sigma = sqrt(1 - alpha_bar).

    eps: x0 = (x_t - sigma eps) / alpha; x0: eps = (x_t - alpha x0) / sigma;
    v: x0 = alpha x_t - sigma v, eps = alpha v + sigma x_t (uses alpha^2 + sigma^2 = 1).
    """
    check_parameterization(parameterization)
    if parameterization == "eps":
        return (x_t - sigma * model_output) / alpha, model_output
    if parameterization == "x0":
        return model_output, (x_t - alpha * model_output) / sigma
    return alpha * x_t - sigma * model_output, alpha * model_output + sigma * x_t
