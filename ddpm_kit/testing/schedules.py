"""Property checks for beta schedules: ``check_schedule`` (one spec, one T) and ``check_schedule_family``
(hypothesis over a spec class's fields). Used by ddpm-kit's own tests, ``ddpm-kit plugins check`` and
plugin authors::

    from ddpm_kit.testing import check_schedule, check_schedule_family
    assert check_schedule(MySchedule(), 1000) == []
    check_schedule_family(MySchedule)          # raises AssertionError with a counterexample

The contract checked: for every (spec, T) that the spec's own ``check(T)`` accepts, the schedule is a
valid DDPM schedule and its pure-Python ``reference_betas`` agrees with the torch implementation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from torch import Tensor

from ddpm_kit.components.schedules.base_impl import make_betas
from ddpm_kit.diffusion.buffers import BUFFER_NAMES, lvlb_weights, schedule_buffers, schedule_buffers_f64
from ddpm_kit.diffusion.forward import extract, q_sample
from ddpm_kit.diffusion.parameterization import (
    get_v, predict_eps_from_z_and_v, predict_start_from_noise, predict_start_from_z_and_v,
)
from ddpm_kit.registry import PARAMETERIZATIONS, ScheduleSpec

#: relative tolerance between ``reference_betas`` (pure Python) and the torch betas
REFERENCE_RTOL = 1e-9
#: tolerance of float64 identities (scaled by the conditioning where noted)
F64_TOL = 1e-9


def _first(mask: Tensor, limit: int = 5) -> list[int]:
    return mask.nonzero().flatten()[:limit].tolist()


def _max_rel(a: Tensor, b: Tensor) -> float:
    scale = torch.maximum(a.abs(), b.abs()).clamp(min=1e-300)
    return float(((a - b).abs() / scale).max())


def check_schedule(spec: ScheduleSpec, timesteps: int, *, v_posterior: float = 0.0, seed: int = 0) -> list[str]:
    """Violations of the schedule invariants for ``spec`` at T = ``timesteps`` (empty when fine).

    1. ``spec.check(T)`` declares no problem and does not raise (declared problems are returned as they are);
    2. ``reference_betas`` and ``make_betas`` both succeed, have length T (when ``uses_timesteps``) and agree
       to 1e-9 relative; the terminal alpha_bar agrees too;
    3. betas in (0, 1] (1 only at the last step, zero terminal SNR); alpha_bar strictly decreasing in
       (0, 1] (0 allowed only after a final beta of 1);
    4. sqrt(alpha_bar)^2 + sqrt(1 - alpha_bar)^2 = 1 (float64 to 1e-12, float32 buffers to 1e-6);
    5. 0 <= posterior variance <= beta (0 <= v_posterior <= 1); its clipped log is finite (float32);
       lvlb weights (compvis, every parameterization) finite wherever alpha_bar > 0;
    6. round trips in float64 through the library functions: eps -> x0 -> eps at fixed x_t, and
       v -> (x0, eps) -> v with q_sample(x0, eps) = x_t;
    7. ``q_sample`` on the float32 buffers agrees with sqrt(ab) x0 + sqrt(1 - ab) eps to 1e-6;
    8. ``given_betas`` with these betas reproduces every float32 buffer bitwise (when all betas < 1).
    """
    try:
        declared = spec.check(timesteps)
    except Exception as exc:  # check() must report problems, never raise
        return [f"{spec.name}.check(T={timesteps}) raised {type(exc).__name__}: {exc}"]
    if declared:
        return [f"{spec.name}.check(T={timesteps}): {p}" for p in declared]
    try:
        reference = torch.tensor(spec.reference_betas(timesteps), dtype=torch.float64)
    except Exception as exc:  # a plugin's reference can fail in any way
        return [f"reference_betas(T={timesteps}) raised {type(exc).__name__}: {exc}"]
    try:
        betas = make_betas(spec, timesteps)
    except Exception as exc:
        return [f"make_betas(T={timesteps}) raised {type(exc).__name__}: {exc}"]
    expected = timesteps if spec.uses_timesteps else betas.shape[0]
    if reference.shape[0] != expected or betas.shape[0] != expected:
        return [f"lengths differ: reference {reference.shape[0]}, torch {betas.shape[0]}, expected {expected}"]

    problems = _check_betas(reference, betas)
    if problems:
        return problems
    f64 = schedule_buffers_f64(betas, v_posterior)
    f32 = schedule_buffers(betas, v_posterior)
    problems += _check_buffers(betas, f64, f32)
    problems += _check_round_trips(f64, seed)
    problems += _check_q_sample(f64, f32, seed)
    problems += _check_given_betas(betas, f32, v_posterior)
    return problems


def _check_betas(reference: Tensor, betas: Tensor) -> list[str]:
    problems = []
    bad = ~torch.isfinite(betas) | (betas <= 0) | (betas > 1)
    if bool(bad.any()):
        return [f"betas outside (0, 1] at t={_first(bad)}"]
    if bool((betas[:-1] == 1).any()):
        problems.append(f"beta == 1 before the last step at t={_first(betas[:-1] == 1)}")
    rel = _max_rel(reference, betas)
    if not rel <= REFERENCE_RTOL:
        problems.append(f"reference_betas and the torch betas differ by {rel:.3g} relative (> {REFERENCE_RTOL})")
    ref_terminal = math.prod(1.0 - b for b in reference.tolist())
    terminal = float(torch.prod(1.0 - betas))
    if not math.isclose(ref_terminal, terminal, rel_tol=1e-8, abs_tol=1e-300):
        problems.append(f"terminal alpha_bar differs: reference {ref_terminal!r}, torch {terminal!r}")
    return problems


def _check_buffers(betas: Tensor, f64: Mapping[str, Tensor], f32: Mapping[str, Tensor]) -> list[str]:
    problems = []
    alpha_bar = f64["alphas_cumprod"]
    zero_ok = torch.zeros_like(alpha_bar, dtype=torch.bool)
    zero_ok[-1] = bool(betas[-1] == 1)
    outside = ~((alpha_bar > 0) | zero_ok) | (alpha_bar > 1)
    if bool(outside.any()):
        problems.append(f"alpha_bar outside (0, 1] at t={_first(outside)}")
    flat = alpha_bar[1:] >= alpha_bar[:-1]
    if bool(flat.any()):
        problems.append(f"alpha_bar not strictly decreasing at t={[t + 1 for t in _first(flat)]}")
    unit64 = f64["sqrt_alphas_cumprod"] ** 2 + f64["sqrt_one_minus_alphas_cumprod"] ** 2
    unit32 = f32["sqrt_alphas_cumprod"].double() ** 2 + f32["sqrt_one_minus_alphas_cumprod"].double() ** 2
    if not float((unit64 - 1).abs().max()) <= 1e-12 or not float((unit32 - 1).abs().max()) <= 1e-6:
        problems.append("sqrt(alpha_bar)^2 + sqrt(1 - alpha_bar)^2 != 1")
    variance = f64["posterior_variance"]
    bad = ~torch.isfinite(variance) | (variance < 0) | (variance > betas * (1 + 1e-12))
    if bool(bad.any()):
        problems.append(f"posterior variance outside [0, beta] at t={_first(bad)}")
    log_variance = f32["posterior_log_variance_clipped"]
    if not bool(torch.isfinite(log_variance).all()):
        problems.append(f"posterior_log_variance_clipped not finite at t={_first(~torch.isfinite(log_variance))}")
    positive = f32["alphas_cumprod"] > 0
    for parameterization in PARAMETERIZATIONS:
        weights = lvlb_weights(f32, parameterization, "compvis", betas_f64=betas)
        bad = ~torch.isfinite(weights) & positive
        if bool(bad.any()):
            problems.append(f"lvlb_weights ({parameterization}) not finite at t={_first(bad)}")
    return problems


def _check_round_trips(f64: Mapping[str, Tensor], seed: int) -> list[str]:
    problems = []
    alpha_bar = f64["alphas_cumprod"]
    t = (alpha_bar > 0).nonzero().flatten()  # [T'] steps where eps is defined
    generator = torch.Generator().manual_seed(seed)
    x_t = torch.randn(t.shape[0], 8, generator=generator, dtype=torch.float64)  # [T', 8]
    eps = torch.randn(t.shape[0], 8, generator=generator, dtype=torch.float64)
    x0 = predict_start_from_noise(x_t, t, eps, f64)
    eps_back = (x_t - extract(f64["sqrt_alphas_cumprod"], t, x_t.shape) * x0) / extract(
        f64["sqrt_one_minus_alphas_cumprod"], t, x_t.shape
    )
    scale = 1 + x_t.abs() / extract(f64["sqrt_one_minus_alphas_cumprod"], t, x_t.shape)
    bad = ((eps_back - eps).abs() > F64_TOL * scale).any(dim=1)
    if bool(bad.any()):
        problems.append(f"eps -> x0 -> eps round trip fails at t={t[bad][:5].tolist()}")

    every = torch.arange(alpha_bar.shape[0])
    v = torch.randn(every.shape[0], 8, generator=generator, dtype=torch.float64)
    x_t = torch.randn(every.shape[0], 8, generator=generator, dtype=torch.float64)
    x0 = predict_start_from_z_and_v(x_t, every, v, f64)
    eps = predict_eps_from_z_and_v(x_t, every, v, f64)
    v_bad = ((get_v(x0, eps, every, f64) - v).abs() > F64_TOL * (1 + v.abs() + x_t.abs())).any(dim=1)
    z_bad = ((q_sample(x0, every, eps, f64) - x_t).abs() > F64_TOL * (1 + v.abs() + x_t.abs())).any(dim=1)
    if bool(v_bad.any()):
        problems.append(f"v -> (x0, eps) -> v round trip fails at t={every[v_bad][:5].tolist()}")
    if bool(z_bad.any()):
        problems.append(f"q_sample(x0(v), eps(v)) != x_t at t={every[z_bad][:5].tolist()}")
    return problems


def _check_q_sample(f64: Mapping[str, Tensor], f32: Mapping[str, Tensor], seed: int) -> list[str]:
    t = torch.arange(f64["betas"].shape[0])
    generator = torch.Generator().manual_seed(seed + 1)
    x0 = torch.randn(t.shape[0], 2, 3, generator=generator)  # [T, 2, 3]
    noise = torch.randn(t.shape[0], 2, 3, generator=generator)
    alpha_bar = f64["alphas_cumprod"][:, None, None]
    closed = alpha_bar.sqrt() * x0.double() + (1 - alpha_bar).sqrt() * noise.double()
    error = (q_sample(x0, t, noise, f32).double() - closed).abs()
    if not bool((error <= 1e-6 * (1 + x0.abs() + noise.abs())).all()):
        return [f"q_sample differs from its closed form by up to {float(error.max()):.3g}"]
    return []


def _check_given_betas(betas: Tensor, f32: Mapping[str, Tensor], v_posterior: float) -> list[str]:
    from ddpm_kit.components.schedules.given_betas import GivenBetasSchedule

    if bool((betas >= 1).any()):
        return []  # given_betas accepts (0, 1) only; a zero-terminal-SNR final beta of 1 is not expressible
    given = make_betas(GivenBetasSchedule(betas=betas.tolist()), betas.shape[0])
    again = schedule_buffers(given, v_posterior)
    differ = [name for name in BUFFER_NAMES if not torch.equal(again[name], f32[name])]
    return [f"given_betas with the same betas gives different buffers: {differ}"] if differ else []
