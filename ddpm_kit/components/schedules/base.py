"""What the built-in beta schedules share: pure-Python float64 math (used by validation before any
torch import) and the base specs with the zero-terminal-SNR option and numeric checks.
"""

from __future__ import annotations

import math
import struct

from pydantic import Field, model_validator

from ddpm_kit.registry import ScheduleSpec
from ddpm_kit.registry.kinds import alphas_cumprod

#: Smallest accepted first beta: below ~3e-8, 1 - beta rounds to 1 in the float32 buffers.
MIN_BETA = 1e-6

#: Below this alpha_bar, sqrt(1 / alpha_bar) overflows float32 (2**-256).
MIN_ALPHA_BAR_F32 = 2.0**-256

#: Module of the torch twins that the CompVis schedules' ``impl`` name (bitwise parity, see ``linear``).
IMPL_PACKAGE = "ddpm_kit.components.schedules"


def linspace(start: float, end: float, steps: int) -> list[float]:
    """``steps`` evenly spaced floats from ``start`` to ``end`` inclusive (torch's two-sided formula).

    The first half is ``start + i * step``, the second ``end - (steps - 1 - i) * step``, so both endpoints
    are exact. Agrees with ``torch.linspace(..., dtype=float64)`` to about one ulp (torch vectorizes).
    """
    if steps < 2:
        raise ValueError(f"linspace needs at least 2 steps, got {steps}")
    step = (end - start) / (steps - 1)
    half = steps // 2
    return [start + step * i if i < half else end - step * (steps - 1 - i) for i in range(steps)]


def betas_from_alphas_cumprod(alpha_bar: list[float]) -> list[float]:
    """beta_t = 1 - alpha_bar_t / alpha_bar_{t-1}, with alpha_bar_{-1} = 1."""
    return [1.0 - alpha_bar[0]] + [1.0 - alpha_bar[i] / alpha_bar[i - 1] for i in range(1, len(alpha_bar))]


def rescale_zero_terminal_snr(betas: list[float]) -> list[float]:
    """Shift and scale sqrt(alpha_bar) so that alpha_bar_{T-1} = 0 while alpha_bar_0 is kept.

    sqrt_ab <- (sqrt_ab - sqrt_ab[-1]) * sqrt_ab[0] / (sqrt_ab[0] - sqrt_ab[-1]); betas from the ratios.
    Lin et al. 2024, "Common Diffusion Noise Schedules and Sample Steps are Flawed", Algorithm 1.
    The last beta becomes exactly 1.
    """
    root = [math.sqrt(a) for a in alphas_cumprod(betas)]
    first, last = root[0], root[-1]
    scale = first / (first - last)
    alpha_bar = [((r - last) * scale) ** 2 for r in root]
    alphas = [alpha_bar[0]] + [alpha_bar[i] / alpha_bar[i - 1] for i in range(1, len(alpha_bar))]
    return [1.0 - a for a in alphas]


def _float32(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


def beta_problems(betas: list[float], *, zero_terminal_snr: bool = False) -> list[str]:
    """Numerical problems of a beta sequence for CompVis-style float32 buffers (empty when fine).

    Checks: T >= 2; every beta finite and in (0, 1] (1 only as the last beta of a zero-terminal-SNR
    schedule); alpha_bar strictly decreasing and > 0 except that terminal step; 1 - alpha_bar_1
    resolvable in float32 (else the eps lvlb weight is inf and ``loss`` NaN even with weight 0 upstream);
    sqrt(1 / alpha_bar) finite in float32 (else eps -> x0 conversion gives inf/NaN).
    """
    n = len(betas)
    if n < 2:
        return [f"needs at least 2 timesteps, got {n} (CompVis fails with IndexError on lvlb_weights[1])"]
    bad = [t for t, b in enumerate(betas) if not (math.isfinite(b) and 0.0 < b <= 1.0)]
    if bad:
        return [f"betas outside (0, 1] at t={bad[:5]} (e.g. {betas[bad[0]]!r})"]
    terminal = n - 1 if zero_terminal_snr else n
    ones = [t for t, b in enumerate(betas) if b == 1.0 and t < terminal]
    if ones:
        return [f"beta == 1 at t={ones[:5]}: alpha_bar is 0 from there on"]
    if zero_terminal_snr and n < 3:
        return ["zero_terminal_snr needs T >= 3: at T = 2 lvlb_weights[0] is copied from the infinite terminal one"]
    problems = []
    alpha_bar = alphas_cumprod(betas)
    flat = [t for t in range(1, terminal) if not alpha_bar[t] < alpha_bar[t - 1]]
    if flat:
        problems.append(f"alpha_bar is not strictly decreasing at t={flat[:5]} (betas too small for float64)")
    if _float32(alpha_bar[1]) >= 1.0:
        problems.append(
            f"1 - alpha_bar_1 = {1.0 - alpha_bar[1]:.3g} is lost in float32 (alpha_bar rounds to 1): the eps "
            "lvlb weights become inf; use larger betas"
        )
    tiny = [t for t in range(terminal) if alpha_bar[t] < MIN_ALPHA_BAR_F32]
    if tiny:
        problems.append(
            f"alpha_bar underflows (< 2**-256) from t={tiny[0]}: sqrt(1/alpha_bar) overflows float32; "
            "use fewer timesteps or smaller betas"
        )
    return problems


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


class RescalableScheduleSpec(ScheduleSpec):
    """Base of the built-in formula schedules: adds the zero-terminal-SNR option and numeric checks.

    Subclasses implement ``raw_reference_betas`` (before the rescale); a torch twin named by ``impl``, where
    parity needs one, returns the same raw betas, and ``make_betas`` applies the rescale to them.
    """

    zero_terminal_snr: bool = Field(
        False,
        description="rescale so that alpha_bar_{T-1} = 0 (Lin et al. 2024); needs v or x0 parameterization",
    )

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        """The formula's betas in pure-Python float64, before any zero-terminal-SNR rescale."""
        raise NotImplementedError

    def reference_betas(self, timesteps: int) -> list[float]:
        if timesteps < 2:
            raise ValueError(f"a {self.name} schedule needs timesteps >= 2, got {timesteps}")
        betas = self.raw_reference_betas(timesteps)
        return rescale_zero_terminal_snr(betas) if self.zero_terminal_snr else betas

    def timestep_problems(self, timesteps: int) -> list[str]:
        """Formula-specific problems at this T that make ``raw_reference_betas`` meaningless."""
        return []

    def check(self, timesteps: int) -> list[str]:
        if timesteps < 2:
            return [f"needs timesteps >= 2, got {timesteps}"]
        problems = self.timestep_problems(timesteps)
        if problems:
            return problems
        raw = self.raw_reference_betas(timesteps)
        problems = beta_problems(raw)
        if problems or not self.zero_terminal_snr:
            return problems
        return beta_problems(rescale_zero_terminal_snr(raw), zero_terminal_snr=True)


class BetaRangeSpec(RescalableScheduleSpec):
    """Schedules parameterized by a first and last beta (the CompVis flat ``linear_start``/``linear_end``)."""

    linear_start: float = Field(1e-4, ge=MIN_BETA, lt=1.0, description="first beta (beta_0)")
    linear_end: float = Field(2e-2, ge=MIN_BETA, lt=1.0, description="last beta (beta_{T-1})")

    @model_validator(mode="after")
    def _increasing(self) -> BetaRangeSpec:
        if self.linear_start > self.linear_end:
            raise ValueError(
                f"linear_start ({self.linear_start}) must not exceed linear_end ({self.linear_end}): the betas "
                "would decrease over t (CompVis accepts this silently)"
            )
        return self
