"""Torch float64 implementations of the built-in beta schedules, and ``make_betas``, the one entry point.

Each ``<name>_betas(spec, timesteps) -> Tensor[T] float64`` uses the same torch operations as the upstream
code (``torch.linspace(..., dtype=float64)``, ``** 0.5``, ...) so that the betas, and the float32 buffers cast
from them, equal CompVis' bitwise. Formulas and sources are in the specs' docstrings
(``ddpm_kit.specs.schedules``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from ddpm_kit.registry import ScheduleSpec

if TYPE_CHECKING:  # annotations only: importing every schedule's spec is not needed to run one
    from ddpm_kit.specs.schedules.cosine import CosineSchedule
    from ddpm_kit.specs.schedules.given_betas import GivenBetasSchedule
    from ddpm_kit.specs.schedules.iddpm_linear import IDDPMLinearSchedule
    from ddpm_kit.specs.schedules.linear import LinearSchedule
    from ddpm_kit.specs.schedules.sigmoid_alphabar import SigmoidAlphaBarSchedule
    from ddpm_kit.specs.schedules.sigmoid_beta import SigmoidBetaSchedule
    from ddpm_kit.specs.schedules.sqrt import SqrtSchedule
    from ddpm_kit.specs.schedules.sqrt_linear import SqrtLinearSchedule
    from ddpm_kit.specs.schedules.squaredcos_cap_v2 import SquaredCosCapV2Schedule

F64 = torch.float64


def _linspace(start: float, end: float, steps: int) -> Tensor:
    return torch.linspace(start, end, steps, dtype=F64)


def linear_betas(spec: LinearSchedule, timesteps: int) -> Tensor:
    """CompVis `linear` (= `scaled_linear`): ``linspace(sqrt(start), sqrt(end), T) ** 2``."""
    return _linspace(spec.linear_start**0.5, spec.linear_end**0.5, timesteps) ** 2


def sqrt_linear_betas(spec: SqrtLinearSchedule, timesteps: int) -> Tensor:
    """CompVis `sqrt_linear` (linear in beta): ``linspace(start, end, T)``."""
    return _linspace(spec.linear_start, spec.linear_end, timesteps)


def sqrt_betas(spec: SqrtSchedule, timesteps: int) -> Tensor:
    """CompVis `sqrt`: ``linspace(start, end, T) ** 0.5``."""
    return _linspace(spec.linear_start, spec.linear_end, timesteps) ** 0.5


def iddpm_linear_betas(spec: IDDPMLinearSchedule, timesteps: int) -> Tensor:
    """Improved-DDPM `linear`: ``linspace(s * start, s * end, T)`` with s = 1000 / T."""
    problems = spec.timestep_problems(timesteps)
    if problems:
        raise ValueError(problems[0])
    scale = 1000.0 / timesteps
    return _linspace(scale * spec.linear_start, scale * spec.linear_end, timesteps)


def cosine_betas(spec: CosineSchedule, timesteps: int) -> Tensor:
    """CompVis `cosine`: f = cos^2((i/T + s) / (1 + s) * pi/2), f /= f[0], beta = clip(1 - f[1:]/f[:-1], 0, 0.999)."""
    steps = torch.arange(timesteps + 1, dtype=F64) / timesteps + spec.cosine_s  # [T+1]
    f = torch.cos(steps / (1 + spec.cosine_s) * math.pi / 2).pow(2)
    f = f / f[0]
    return torch.clamp(1 - f[1:] / f[:-1], min=0.0, max=0.999)


def squaredcos_cap_v2_betas(spec: SquaredCosCapV2Schedule, timesteps: int) -> Tensor:
    """SD `squaredcos_cap_v2`: upstream computes it in pure Python (``betas_for_alpha_bar``), so do we."""
    return torch.tensor(spec.raw_reference_betas(timesteps), dtype=F64)


def sigmoid_alphabar_betas(spec: SigmoidAlphaBarSchedule, timesteps: int) -> Tensor:
    """lucidrains ``sigmoid_beta_schedule``: alpha_bar from a reversed sigmoid, beta = clip(1 - ratio, 0, 0.999)."""
    x = torch.linspace(0, timesteps, timesteps + 1, dtype=F64) / timesteps  # [T+1]
    v_start = torch.tensor(spec.start / spec.tau, dtype=F64).sigmoid()
    v_end = torch.tensor(spec.end / spec.tau, dtype=F64).sigmoid()
    alpha_bar = (-((x * (spec.end - spec.start) + spec.start) / spec.tau).sigmoid() + v_end) / (v_end - v_start)
    alpha_bar = alpha_bar / alpha_bar[0]
    return torch.clamp(1 - alpha_bar[1:] / alpha_bar[:-1], min=0.0, max=0.999)


def sigmoid_beta_betas(spec: SigmoidBetaSchedule, timesteps: int) -> Tensor:
    """diffusers `sigmoid`: ``sigmoid(linspace(-6, 6, T)) * (end - start) + start`` (float64 here)."""
    return torch.sigmoid(_linspace(-6.0, 6.0, timesteps)) * (spec.linear_end - spec.linear_start) + spec.linear_start


def given_betas(spec: GivenBetasSchedule, timesteps: int) -> Tensor:
    """The listed betas; ``timesteps`` is ignored (the spec declares ``uses_timesteps = False``)."""
    return torch.tensor(spec.betas, dtype=F64)


def rescale_zero_terminal_snr(betas: Tensor) -> Tensor:
    """Lin et al. 2024, Algorithm 1: rescale sqrt(alpha_bar) to end at 0, keeping alpha_bar_0.

    sqrt_ab <- (sqrt_ab - sqrt_ab[-1]) * (sqrt_ab[0] / (sqrt_ab[0] - sqrt_ab[-1])); beta = 1 - ab_t / ab_{t-1}.
    Same operation order as the pure-Python ``ddpm_kit.specs.schedules.rescale_zero_terminal_snr``.
    """
    root = torch.cumprod(1 - betas, dim=0).sqrt()  # [T]
    first, last = root[0].clone(), root[-1].clone()
    alpha_bar = ((root - last) * (first / (first - last))) ** 2
    alphas = torch.cat([alpha_bar[:1], alpha_bar[1:] / alpha_bar[:-1]])
    return 1 - alphas


def make_betas(spec: ScheduleSpec, timesteps: int) -> Tensor:
    """The betas of ``spec`` at T = ``timesteps`` as a float64 tensor [T]: what the model registers.

    Calls the spec's implementation (``spec.load_impl()``), applies the zero-terminal-SNR rescale when the
    spec has ``zero_terminal_snr = True``, and checks the result: 1-D float64, length T (when the spec
    ``uses_timesteps``), finite, every beta in (0, 1]. Anything else is an error naming the spec.
    """
    if spec.uses_timesteps and timesteps < 2:
        raise ValueError(f"schedule {spec.name!r} needs timesteps >= 2, got {timesteps}")
    betas = spec.load_impl()(spec, timesteps)
    where = f"schedule {spec.name!r} ({spec.impl})"
    if not isinstance(betas, Tensor) or betas.dtype != F64 or betas.dim() != 1:
        got = f"{betas.dtype} tensor of shape {tuple(betas.shape)}" if isinstance(betas, Tensor) else type(betas)
        raise TypeError(f"{where} must return a 1-D float64 tensor, got {got}")
    if spec.uses_timesteps and betas.shape[0] != timesteps:
        raise ValueError(f"{where} returned {betas.shape[0]} betas for timesteps={timesteps}")
    if getattr(spec, "zero_terminal_snr", False):
        betas = rescale_zero_terminal_snr(betas)
    bad = (~torch.isfinite(betas)) | (betas <= 0) | (betas > 1)
    if bool(bad.any()):
        index = bad.nonzero().flatten()[:5].tolist()
        raise ValueError(f"{where} gave betas outside (0, 1] at t={index}: {betas[index].tolist()}")
    return betas
