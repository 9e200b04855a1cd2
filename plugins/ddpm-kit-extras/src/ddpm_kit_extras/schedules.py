"""Log-SNR schedules (torch-free specs): the Laplace schedule and the resolution-shifted cosine.

Both are defined by a log-SNR curve lambda(t) = log(alpha_bar / (1 - alpha_bar)) on t in [0, 1],
clipped to [logsnr_min, logsnr_max], and discretised for a T-step DDPM as

    alpha_bar_i = sigmoid(lambda(t_i)),  t_i = (i + 1) / T,  i = 0 .. T-1
    beta_i = 1 - alpha_bar_i / alpha_bar_{i-1}  (alpha_bar_{-1} = 1)

so the last step sits at t = 1, where both curves reach their lowest SNR. The betas are computed in
log space, beta_i = -expm1(log sigmoid(lambda_i) - log sigmoid(lambda_{i-1})), which keeps tiny
first betas accurate. ``reference_betas`` is this formula in pure Python, and it is all a schedule needs:
ddpm-kit registers the model's betas from it (no torch twin, no ``impl``).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from ddpm_kit.components.schedules.base import RescalableScheduleSpec


# ----------------------------------------------------------------------------------------- pure-Python math
def log_sigmoid(x: float) -> float:
    """log sigmoid(x) = min(x, 0) - log1p(exp(-|x|)), finite for every finite x (-inf at x = -inf)."""
    if x == -math.inf:
        return -math.inf
    return min(x, 0.0) - math.log1p(math.exp(-abs(x)))


def betas_from_logsnr(logsnr: list[float]) -> list[float]:
    """beta_i = -expm1(log sigmoid(lambda_i) - log sigmoid(lambda_{i-1})), log sigmoid(lambda_{-1}) = 0."""
    previous, betas = 0.0, []
    for value in logsnr:
        current = log_sigmoid(value)
        betas.append(-math.expm1(current - previous))
        previous = current
    return betas


def grid(timesteps: int) -> list[float]:
    """t_i = (i + 1) / T for i = 0 .. T-1."""
    return [(i + 1) / timesteps for i in range(timesteps)]


def clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def laplace_logsnr(t: float, mu: float, b: float) -> float:
    """lambda(t) = mu - b sgn(1/2 - t) log(1 - 2 |t - 1/2|): the Laplace(mu, b) quantile at 1 - t.

    +inf at t = 0, -inf at t = 1 (log1p(-1)); uniform t gives lambda ~ Laplace(mu, b).
    """
    distance = abs(t - 0.5)
    if distance >= 0.5:
        return math.inf if t < 0.5 else -math.inf
    return mu - b * math.copysign(1.0, 0.5 - t) * math.log1p(-2.0 * distance)


def cosine_logsnr(t: float, logsnr_min: float, logsnr_max: float) -> float:
    """lambda(t) = -2 log tan(a t + c), c = atan(exp(-logsnr_max / 2)), a = atan(exp(-logsnr_min / 2)) - c.

    The cosine schedule (alpha_bar = cos^2(pi t / 2)) with its t-range squeezed so that lambda(0) =
    logsnr_max and lambda(1) = logsnr_min (Hoogeboom et al. 2023, ``logsnr_schedule_cosine``).
    """
    low = math.atan(math.exp(-0.5 * logsnr_max))
    high = math.atan(math.exp(-0.5 * logsnr_min))
    return -2.0 * math.log(math.tan(low + t * (high - low)))


# ----------------------------------------------------------------------------------------- base
class LogSNRScheduleSpec(RescalableScheduleSpec):
    """Base of schedules given by a clipped log-SNR curve lambda(t); see the module docstring."""

    logsnr_min: float = Field(-15.0, ge=-30.0, le=0.0, description="lowest log-SNR (reached at the last step)")
    logsnr_max: float = Field(15.0, ge=0.0, le=30.0, description="highest log-SNR the curve is clipped to")

    @model_validator(mode="after")
    def _ordered(self) -> LogSNRScheduleSpec:
        if not self.logsnr_min < self.logsnr_max:
            raise ValueError(f"logsnr_min ({self.logsnr_min}) must be below logsnr_max ({self.logsnr_max})")
        return self

    def logsnr(self, t: float) -> float:
        """The curve lambda(t) before clipping."""
        raise NotImplementedError

    def clipped_logsnr(self, timesteps: int) -> list[float]:
        """lambda(t_i) clipped to [logsnr_min, logsnr_max], t_i = (i + 1) / T."""
        return [clip(self.logsnr(t), self.logsnr_min, self.logsnr_max) for t in grid(timesteps)]

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        return betas_from_logsnr(self.clipped_logsnr(timesteps))

    def timestep_problems(self, timesteps: int) -> list[str]:
        """Clipping that makes consecutive steps share one SNR (beta = 0) is a problem, named by its bound."""
        values = [self.logsnr(t) for t in grid(timesteps)]
        high = sum(v >= self.logsnr_max for v in values)
        low = sum(v <= self.logsnr_min for v in values)
        problems = []
        if high > 1:
            problems.append(f"logsnr_max={self.logsnr_max} clips the first {high} steps to one SNR (beta = 0): "
                            f"raise logsnr_max or use fewer timesteps")
        if low > 1:
            problems.append(f"logsnr_min={self.logsnr_min} clips the last {low} steps to one SNR (beta = 0): "
                            f"lower logsnr_min or use fewer timesteps")
        return problems


# ----------------------------------------------------------------------------------------- schedules
class LaplaceSchedule(LogSNRScheduleSpec):
    """Laplace noise schedule: the log-SNR of uniform t is Laplace(mu, b) distributed.

    lambda(t) = mu - b sgn(1/2 - t) log(1 - 2 |t - 1/2|), clipped to [logsnr_min, logsnr_max];
    alpha_bar_i = sigmoid(lambda((i + 1) / T)), beta_i = 1 - alpha_bar_i / alpha_bar_{i-1}.
    Training time concentrates around SNR e^mu with spread b (paper: mu = 0, b = 0.5). lambda(1) = -inf
    is clipped to logsnr_min, so the last step reaches SNR e^logsnr_min (near zero terminal SNR).
    Source: Hang et al. 2024, "Improved Noise Schedule for Diffusion Training" (the Laplace schedule).
    """

    name: Literal["extras.laplace"] = "extras.laplace"
    mu: float = Field(0.0, ge=-10.0, le=10.0, description="location of the log-SNR distribution (paper: 0)")
    b: float = Field(0.5, gt=0.0, le=4.0, description="scale of the log-SNR distribution (paper: 0.5)")

    def logsnr(self, t: float) -> float:
        return laplace_logsnr(t, self.mu, self.b)


class ShiftedCosineSchedule(LogSNRScheduleSpec):
    """Resolution-shifted cosine schedule ("simple diffusion"): the cosine log-SNR moved by 2 log(base / res).

    lambda(t) = -2 log tan(a t + c) + 2 log(base_resolution / resolution), with c = atan(exp(-logsnr_max / 2))
    and a = atan(exp(-logsnr_min / 2)) - c (the clip is applied before the shift, as in the paper);
    alpha_bar_i = sigmoid(lambda((i + 1) / T)). At resolution = base_resolution it is the plain clipped
    cosine; a larger image gets proportionally more noise at every t (same SNR per base-sized patch).
    Source: Hoogeboom, Heek & Salimans 2023, "simple diffusion: End-to-end diffusion for high resolution
    images" (``logsnr_schedule_cosine_shifted``, base 64).
    """

    name: Literal["extras.shifted_cosine"] = "extras.shifted_cosine"
    resolution: int = Field(64, ge=1, le=16384, description="side of the images being trained on")
    base_resolution: int = Field(64, ge=1, le=16384, description="side at which the schedule is the plain cosine")
    # The clip applies before the shift; the shifted curve spans [logsnr_min + shift, logsnr_max + shift].
    logsnr_min: float = Field(-15.0, ge=-30.0, le=0.0, description="lowest log-SNR of the cosine before the shift")
    logsnr_max: float = Field(15.0, ge=0.0, le=30.0, description="highest log-SNR of the cosine before the shift")

    @model_validator(mode="after")
    def _crosses_snr_one(self) -> ShiftedCosineSchedule:
        low, high = self.logsnr_min + self.shift(), self.logsnr_max + self.shift()
        if not low < 0.0 < high:
            raise ValueError(f"the shift 2 log(base_resolution / resolution) = {self.shift():.3g} moves the log-SNR "
                             f"range to [{low:.3g}, {high:.3g}], which misses 0: the schedule would have no "
                             f"{'clean' if high <= 0 else 'noisy'} steps; widen logsnr_min/logsnr_max")
        return self

    def shift(self) -> float:
        """2 log(base_resolution / resolution), added to the log-SNR."""
        return 2.0 * math.log(self.base_resolution / self.resolution)

    def logsnr(self, t: float) -> float:
        return cosine_logsnr(t, self.logsnr_min, self.logsnr_max)

    def clipped_logsnr(self, timesteps: int) -> list[float]:
        return [self.logsnr(t) + self.shift() for t in grid(timesteps)]

    def timestep_problems(self, timesteps: int) -> list[str]:
        return []  # the clip is built into the tan range: lambda is strictly decreasing on [0, 1]
