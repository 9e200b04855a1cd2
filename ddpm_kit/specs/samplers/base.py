"""What the built-in samplers share: the implementations' module and DDIM's timestep rules
(pure Python, used by validation and by the torch sampler).
"""

from __future__ import annotations

import math

IMPL_PACKAGE = "ddpm_kit.diffusion.samplers"


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
    duplicates and out-of-range entries). Raises ValueError for S < 1 or S > T.
    """
    if not 1 <= steps <= timesteps:
        raise ValueError(f"DDIM needs 1 <= steps <= T, got steps={steps}, T={timesteps}")
    if spacing == "uniform":
        if steps == timesteps:
            return list(range(timesteps))
        stride = timesteps // steps
        return [k * stride + 1 for k in range(steps)]
    return upstream_ddim_timesteps(spacing, steps, timesteps)
