"""Timestep and sigma spacings shared by every few-step sampler (pure Python: validation uses them too).

Discrete spacings pick S integer timesteps of the T-step schedule: upstream's ``uniform`` and ``quad``
(CompVis ``make_ddim_timesteps``), diffusers' ``leading``, ``linspace`` and ``trailing`` (Lin et al. 2024,
table 2). ``karras`` spaces S noise levels sigma (k-diffusion's sigma = sqrt((1 - alpha_bar) / alpha_bar))
by Karras et al. 2022, eq. 5, between the schedule's discrete extremes; ``sigma_to_t`` maps them back.
"""

from __future__ import annotations

import bisect
import math

#: the discrete spacings (``ddim_timesteps``) and the sigma-space one
TIMESTEP_SPACINGS = ("uniform", "quad", "leading", "linspace", "trailing")
SIGMA_SPACINGS = (*TIMESTEP_SPACINGS, "karras")
#: alpha_bar floor keeping sigma finite at a zero-terminal-SNR step (diffusers uses the same 2**-24)
MIN_ALPHA_BAR = 2.0**-24


def upstream_ddim_timesteps(spacing: str, steps: int, timesteps: int) -> list[int]:
    """CompVis ``make_ddim_timesteps`` as written (may overshoot S, exceed T - 1, or raise for S > T).

    uniform: c = T // S, [0, c, 2c, ... < T] + 1; quad: floor(linspace(0, sqrt(0.8 T), S)^2) + 1.
    """
    if spacing == "uniform":
        stride = timesteps // steps
        if stride == 0:
            raise ValueError("range() arg 3 must not be zero")  # upstream's error for S > T
        return [t + 1 for t in range(0, timesteps, stride)]
    if spacing == "quad":
        stop = math.sqrt(timesteps * 0.8)
        if steps == 1:
            return [1]
        step = stop / (steps - 1)
        points = [i * step for i in range(steps - 1)] + [stop]  # numpy.linspace: i * step, last = stop
        return [int(p * p) + 1 for p in points]
    raise ValueError(f"unknown DDIM spacing {spacing!r} (known: uniform, quad)")


def ddim_timesteps(spacing: str, steps: int, timesteps: int) -> list[int]:
    """The DDIM timesteps used here: upstream's wherever upstream is well-defined, exactly S of them.

    uniform: tau_k = k * (T // S) + 1 for k = 0..S-1, except S = T, which gives tau_k = k (every step; the
    +1 shift would reach T). These are the first S entries of upstream's list, so they equal upstream's
    whenever upstream returns S in-range steps, while upstream's overshoot (T=1000, S=300 -> 334 steps)
    and its IndexError (last entry T: S = 111, 300, 333, 999, 1000 at T = 1000) cannot happen.
    quad: upstream's numbers (they never exceed about 0.8 T + 1; ``DDIMSamplerSpec.check`` reports
    duplicates and out-of-range entries). leading / linspace / trailing: diffusers' meanings (below).
    Raises ValueError for S < 1 or S > T.
    """
    if not 1 <= steps <= timesteps:
        raise ValueError(f"DDIM needs 1 <= steps <= T, got steps={steps}, T={timesteps}")
    if spacing == "uniform":
        if steps == timesteps:
            return list(range(timesteps))
        stride = timesteps // steps
        return [k * stride + 1 for k in range(steps)]
    if spacing in DIFFUSERS_SPACINGS:
        return DIFFUSERS_SPACINGS[spacing](steps, timesteps)
    return upstream_ddim_timesteps(spacing, steps, timesteps)


def leading_timesteps(steps: int, timesteps: int) -> list[int]:
    """diffusers ``timestep_spacing="leading"`` (steps_offset 0): tau_k = k (T // S), k = 0..S-1.
    Source: diffusers ``DDIMScheduler.set_timesteps``; Lin et al. 2024, table 2."""
    return [k * (timesteps // steps) for k in range(steps)]


def linspace_timesteps(steps: int, timesteps: int) -> list[int]:
    """diffusers ``"linspace"``: tau_k = round(k (T - 1) / (S - 1)) (numpy's round half to even),
    i.e. round(linspace(0, T - 1, S)). Source: as ``leading_timesteps``."""
    if steps == 1:
        return [0]
    step = (timesteps - 1) / (steps - 1)
    return [round(k * step) if k < steps - 1 else timesteps - 1 for k in range(steps)]


def trailing_timesteps(steps: int, timesteps: int) -> list[int]:
    """diffusers ``"trailing"``: round(arange(T, 0, -T / S)) - 1, ascending; the first step is T - 1.
    Source: as ``leading_timesteps`` (Lin et al. 2024, section 3.3: sample from the last timestep)."""
    ratio = timesteps / steps
    return sorted(round(timesteps - k * ratio) - 1 for k in range(steps))


DIFFUSERS_SPACINGS = {"leading": leading_timesteps, "linspace": linspace_timesteps, "trailing": trailing_timesteps}


def discrete_sigmas(alphas_cumprod: list[float]) -> list[float]:
    """sigma_t = sqrt((1 - alpha_bar_t) / alpha_bar_t) [T], ascending in t; alpha_bar floored at 2^-24."""
    return [math.sqrt((1.0 - a) / a) for a in (max(float(a), MIN_ALPHA_BAR) for a in alphas_cumprod)]


def karras_sigmas(steps: int, sigma_min: float, sigma_max: float, rho: float = 7.0) -> list[float]:
    """S noise levels, descending: sigma_i = (s_max^(1/rho) + i / (S - 1) (s_min^(1/rho) - s_max^(1/rho)))^rho.

    Source: Karras et al. 2022, "Elucidating the Design Space of Diffusion-Based Generative Models", eq. 5
    (k-diffusion ``get_sigmas_karras`` without the appended 0)."""
    if steps == 1:
        return [sigma_max]
    hi, lo = sigma_max ** (1 / rho), sigma_min ** (1 / rho)
    return [(hi + i / (steps - 1) * (lo - hi)) ** rho for i in range(steps)]


def sigma_to_t(sigma: float, sigmas: list[float]) -> int:
    """The discrete t whose sigma_t is nearest to ``sigma`` in log sigma (k-diffusion ``DiscreteSchedule``
    with ``quantize=True``): the network is only ever called at an integer t it was trained on.
    ``sigmas`` ascending in t (``discrete_sigmas``); ties go to the smaller t."""
    above = bisect.bisect_left(sigmas, sigma)
    candidates = [t for t in (above - 1, above) if 0 <= t < len(sigmas)]
    target = math.log(sigma)
    return min(candidates, key=lambda t: (abs(math.log(sigmas[t]) - target), t))


def sampler_sigmas(spacing: str, steps: int, alphas_cumprod: list[float], rho: float = 7.0,
                   sigma_min: float | None = None, sigma_max: float | None = None) -> tuple[list[float], list[int]]:
    """(S noise levels descending, the S integer timesteps the network sees) for a sigma-space sampler.

    Discrete spacings: sigma_k = sigma at the k-th timestep of ``ddim_timesteps`` (noisiest first); karras:
    ``karras_sigmas`` between sigma_min / sigma_max (default: the schedule's sigma_0 and sigma_{T-1}),
    each called at ``sigma_to_t``."""
    table = discrete_sigmas(alphas_cumprod)
    if spacing == "karras":
        low, high = sigma_min or table[0], sigma_max or table[-1]
        sigmas = karras_sigmas(steps, low, high, rho)
        return sigmas, [sigma_to_t(s, table) for s in sigmas]
    taus = list(reversed(ddim_timesteps(spacing, steps, len(table))))
    return [table[t] for t in taus], taus
