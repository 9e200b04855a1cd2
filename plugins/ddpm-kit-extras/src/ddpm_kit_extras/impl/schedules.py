"""Torch float64 betas of the log-SNR schedules; the formulas and sources are in ``ddpm_kit_extras.schedules``.

Each function returns the raw betas [T] (float64); ``ddpm_kit.components.schedules.make_betas`` applies the
zero-terminal-SNR rescale when the spec asks for it and checks the result.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ddpm_kit_extras.schedules import LaplaceSchedule, ShiftedCosineSchedule

F64 = torch.float64


def grid(timesteps: int) -> Tensor:
    """t_i = (i + 1) / T, [T] float64."""
    return torch.arange(1, timesteps + 1, dtype=F64) / timesteps


def log_sigmoid(x: Tensor) -> Tensor:
    """min(x, 0) - log1p(exp(-|x|)), elementwise (the pure-Python ``log_sigmoid``)."""
    return torch.clamp(x, max=0.0) - torch.log1p(torch.exp(-x.abs()))


def betas_from_logsnr(logsnr: Tensor) -> Tensor:
    """beta_i = -expm1(log sigmoid(lambda_i) - log sigmoid(lambda_{i-1})) with log sigmoid(lambda_{-1}) = 0."""
    log_alpha_bar = log_sigmoid(logsnr)  # [T]
    previous = torch.cat([torch.zeros(1, dtype=F64), log_alpha_bar[:-1]])  # [T]
    return -torch.expm1(log_alpha_bar - previous)


def laplace_logsnr(t: Tensor, mu: float, b: float) -> Tensor:
    """mu - b sgn(1/2 - t) log1p(-2 |t - 1/2|); -inf at t = 1."""
    return mu - b * torch.sign(0.5 - t) * torch.log1p(-2.0 * (t - 0.5).abs())


def laplace_betas(spec: LaplaceSchedule, timesteps: int) -> Tensor:
    """Betas of ``extras.laplace``: the Laplace log-SNR at t_i = (i + 1) / T, clipped, through sigmoid."""
    logsnr = laplace_logsnr(grid(timesteps), spec.mu, spec.b).clamp(spec.logsnr_min, spec.logsnr_max)  # [T]
    return betas_from_logsnr(logsnr)


def cosine_logsnr(t: Tensor, logsnr_min: float, logsnr_max: float) -> Tensor:
    """-2 log tan(a t + c) with the t-range squeezed to [logsnr_min, logsnr_max]."""
    low = math.atan(math.exp(-0.5 * logsnr_max))
    high = math.atan(math.exp(-0.5 * logsnr_min))
    return -2.0 * torch.log(torch.tan(low + t * (high - low)))


def shifted_cosine_betas(spec: ShiftedCosineSchedule, timesteps: int) -> Tensor:
    """Betas of ``extras.shifted_cosine``: the clipped cosine log-SNR plus 2 log(base / resolution)."""
    logsnr = cosine_logsnr(grid(timesteps), spec.logsnr_min, spec.logsnr_max) + spec.shift()  # [T]
    return betas_from_logsnr(logsnr)
