"""Beta schedules (torch-free specs). Names are contracts; CompVis names keep their CompVis meaning.

| name                | betas                                             | source                              |
|---------------------|---------------------------------------------------|-------------------------------------|
| `linear`            | linear in sqrt(beta)                              | CompVis (diffusers `scaled_linear`) |
| `scaled_linear`     | same as `linear` (diffusers' name)                | diffusers / Stable Diffusion        |
| `sqrt_linear`       | linear in beta                                    | CompVis (diffusers `linear`)        |
| `sqrt`              | sqrt of a linear ramp                             | CompVis                             |
| `cosine`            | alpha_bar = cos^2 with offset `cosine_s`, <= 0.999 | Nichol & Dhariwal 2021 / CompVis   |
| `squaredcos_cap_v2` | the same with s fixed at 0.008                    | diffusers / SD                      |
| `iddpm_linear`      | linear in beta, endpoints scaled by 1000/T        | Nichol & Dhariwal 2021              |
| `sigmoid_alphabar`  | alpha_bar follows a sigmoid in t                  | Jabri et al. 2022 (lucidrains)      |
| `sigmoid_beta`      | beta follows a sigmoid in t                       | diffusers (GeoDiff)                 |
| `given_betas`       | explicit list                                     | CompVis `given_betas`               |

Every schedule but `given_betas` takes `zero_terminal_snr` (Lin et al. 2024). ``reference_betas`` is the
pure-Python float64 formula (for validation); the torch float64 implementation named by ``impl`` (bitwise
equal to upstream for the CompVis / SD schedules) is reached through ``components.schedules.make_betas``.
``check(T)`` reports, in pure Python, the T-dependent problems that validation should refuse.
"""

from __future__ import annotations

import math
import struct
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ddpm_kit.registry import ScheduleSpec

#: Smallest accepted first beta: below ~3e-8, 1 - beta rounds to 1 in the float32 buffers.
MIN_BETA = 1e-6
#: Below this alpha_bar, sqrt(1 / alpha_bar) overflows float32 (2**-256).
MIN_ALPHA_BAR_F32 = 2.0**-256
_IMPL = "ddpm_kit.components.schedules"


# ----------------------------------------------------------------------------------------- pure-Python math
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


def alphas_cumprod(betas: list[float]) -> list[float]:
    """alpha_bar_t = prod_{s<=t} (1 - beta_s), accumulated left to right as ``np.cumprod`` does."""
    out, running = [], 1.0
    for beta in betas:
        running *= 1.0 - beta
        out.append(running)
    return out


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


# ----------------------------------------------------------------------------------------- bases
class RescalableScheduleSpec(ScheduleSpec):
    """Base of the built-in formula schedules: adds the zero-terminal-SNR option and numeric checks.

    Subclasses implement ``raw_reference_betas`` (before the rescale) and point ``impl`` at a torch
    function returning the same raw betas; ``make_betas`` applies the rescale on the torch path.
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


class _BetaRangeSpec(RescalableScheduleSpec):
    """Schedules parameterized by a first and last beta (the CompVis flat ``linear_start``/``linear_end``)."""

    linear_start: float = Field(1e-4, ge=MIN_BETA, lt=1.0, description="first beta (beta_0)")
    linear_end: float = Field(2e-2, ge=MIN_BETA, lt=1.0, description="last beta (beta_{T-1})")

    @model_validator(mode="after")
    def _increasing(self) -> _BetaRangeSpec:
        if self.linear_start > self.linear_end:
            raise ValueError(
                f"linear_start ({self.linear_start}) must not exceed linear_end ({self.linear_end}): the betas "
                "would decrease over t (CompVis accepts this silently)"
            )
        return self


# ----------------------------------------------------------------------------------------- schedules
class LinearSchedule(_BetaRangeSpec):
    """CompVis `linear`: betas linear in sqrt(beta) (diffusers calls this `scaled_linear`).

    beta_t = (sqrt(linear_start) + t / (T - 1) * (sqrt(linear_end) - sqrt(linear_start)))^2, t = 0..T-1.
    Source: CompVis/latent-diffusion ``make_beta_schedule("linear")``, the LDM and Stable Diffusion default
    (SD: 0.00085..0.012). Not diffusers' `linear`, which is `sqrt_linear` here.
    """

    name: Literal["linear"] = "linear"
    impl: ClassVar[str] = f"{_IMPL}:linear_betas"

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        return [r * r for r in linspace(self.linear_start**0.5, self.linear_end**0.5, timesteps)]


class ScaledLinearSchedule(LinearSchedule):
    """diffusers `scaled_linear`: an alias of CompVis `linear` (betas linear in sqrt(beta)), same fields.

    beta_t = (sqrt(linear_start) + t / (T - 1) * (sqrt(linear_end) - sqrt(linear_start)))^2.
    Source: diffusers ``DDPMScheduler(beta_schedule="scaled_linear")`` (which computes it in float32; here
    float64 as CompVis does, so the numbers equal `linear` bitwise).
    """

    name: Literal["scaled_linear"] = "scaled_linear"  # type: ignore[assignment]


class SqrtLinearSchedule(_BetaRangeSpec):
    """CompVis `sqrt_linear`: betas linear in beta (diffusers calls this `linear`), despite the name.

    beta_t = linear_start + t / (T - 1) * (linear_end - linear_start).
    Source: CompVis/latent-diffusion ``make_beta_schedule("sqrt_linear")``; Ho et al. 2020's schedule.
    """

    name: Literal["sqrt_linear"] = "sqrt_linear"
    impl: ClassVar[str] = f"{_IMPL}:sqrt_linear_betas"

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        return linspace(self.linear_start, self.linear_end, timesteps)


class SqrtSchedule(_BetaRangeSpec):
    """CompVis `sqrt`: the square root of a linear ramp (large betas: alpha_bar_999 ~ 3e-44 by default).

    beta_t = sqrt(linear_start + t / (T - 1) * (linear_end - linear_start)).
    Source: CompVis/latent-diffusion ``make_beta_schedule("sqrt")``.
    """

    name: Literal["sqrt"] = "sqrt"
    impl: ClassVar[str] = f"{_IMPL}:sqrt_betas"
    linear_start: float = Field(1e-4, ge=MIN_BETA, lt=1.0, description="start of the ramp: beta_0 = sqrt(linear_start)")
    linear_end: float = Field(2e-2, ge=MIN_BETA, lt=1.0, description="end of the ramp: beta_{T-1} = sqrt(linear_end)")

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        return [math.sqrt(b) for b in linspace(self.linear_start, self.linear_end, timesteps)]


class IDDPMLinearSchedule(_BetaRangeSpec):
    """Improved-DDPM `linear`: betas linear in beta with endpoints scaled by 1000 / T.

    beta_t = s * linear_start + t / (T - 1) * s * (linear_end - linear_start), s = 1000 / T, so that
    alpha_bar_{T-1} stays ~4e-5 at every T. Fields are the T = 1000 values. Needs s * linear_end < 1.
    Source: Nichol & Dhariwal 2021, "Improved Denoising Diffusion Probabilistic Models"
    (``get_named_beta_schedule("linear")``; lucidrains' `linear` is the same).
    """

    name: Literal["iddpm_linear"] = "iddpm_linear"
    impl: ClassVar[str] = f"{_IMPL}:iddpm_linear_betas"
    linear_start: float = Field(1e-4, ge=MIN_BETA, lt=1.0, description="first beta at T = 1000 (scaled by 1000/T)")
    linear_end: float = Field(2e-2, ge=MIN_BETA, lt=1.0, description="last beta at T = 1000 (scaled by 1000/T)")

    def timestep_problems(self, timesteps: int) -> list[str]:
        end = self.linear_end * 1000.0 / timesteps
        if end >= 1.0:
            return [
                f"iddpm_linear at T={timesteps} scales linear_end to {end:.4g} >= 1; "
                f"use T > {math.floor(1000.0 * self.linear_end)} or a smaller linear_end"
            ]
        return []

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        problems = self.timestep_problems(timesteps)
        if problems:
            raise ValueError(problems[0])
        scale = 1000.0 / timesteps
        return linspace(scale * self.linear_start, scale * self.linear_end, timesteps)


class CosineSchedule(RescalableScheduleSpec):
    """CompVis `cosine`: alpha_bar follows a squared cosine with offset `cosine_s`; betas capped at 0.999.

    f(i) = cos^2(((i / T) + s) / (1 + s) * pi / 2), i = 0..T; beta_t = clip(1 - f(t+1) / f(t), 0, 0.999).
    Source: Nichol & Dhariwal 2021 (eq. 17); CompVis ``make_beta_schedule("cosine")`` (computes f / f(0)
    first, reproduced here). diffusers' equivalent for s = 0.008 is `squaredcos_cap_v2`.
    """

    name: Literal["cosine"] = "cosine"
    impl: ClassVar[str] = f"{_IMPL}:cosine_betas"
    cosine_s: float = Field(8e-3, ge=0.0, le=1.0, description="offset s keeping beta_0 away from 0")

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        s = self.cosine_s
        f = [math.cos((i / timesteps + s) / (1 + s) * math.pi / 2) ** 2 for i in range(timesteps + 1)]
        f = [v / f[0] for v in f]
        return [min(max(1.0 - f[i + 1] / f[i], 0.0), 0.999) for i in range(timesteps)]


def squaredcos_alpha_bar(t: float) -> float:
    """alpha_bar(t) = cos^2((t + 0.008) / 1.008 * pi / 2) for t in [0, 1] (s fixed at 0.008)."""
    return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2


class SquaredCosCapV2Schedule(RescalableScheduleSpec):
    """diffusers / SD `squaredcos_cap_v2`: the cosine schedule with s fixed at 0.008 (no `cosine_s` field).

    beta_t = min(1 - abar((t+1)/T) / abar(t/T), 0.999), abar(x) = cos^2((x + 0.008) / 1.008 * pi / 2).
    Source: Stability-AI/stablediffusion ``betas_for_alpha_bar`` (pure Python, reproduced bitwise);
    diffusers ``betas_for_alpha_bar(alpha_transform_type="cosine")``. Same as `cosine` up to rounding.
    """

    name: Literal["squaredcos_cap_v2"] = "squaredcos_cap_v2"
    impl: ClassVar[str] = f"{_IMPL}:squaredcos_cap_v2_betas"

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        betas = []
        for i in range(timesteps):
            t1, t2 = i / timesteps, (i + 1) / timesteps
            betas.append(min(1 - squaredcos_alpha_bar(t2) / squaredcos_alpha_bar(t1), 0.999))
        return betas


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


class SigmoidAlphaBarSchedule(RescalableScheduleSpec):
    """Sigmoid in alpha_bar space: alpha_bar(t) is a reversed, rescaled sigmoid of t; betas capped at 0.999.

    g(x) = sigmoid((x * (end - start) + start) / tau); abar(x) = (g(1) - g(x)) / (g(1) - g(0)), x = i / T;
    beta_t = clip(1 - abar((t+1)/T) / abar(t/T), 0, 0.999).
    Source: Jabri, Fleet & Chen 2022, "Scalable Adaptive Computation for Iterative Generation" (RIN);
    lucidrains/denoising-diffusion-pytorch ``sigmoid_beta_schedule`` (its `sigmoid`, not diffusers').
    """

    name: Literal["sigmoid_alphabar"] = "sigmoid_alphabar"
    impl: ClassVar[str] = f"{_IMPL}:sigmoid_alphabar_betas"
    start: float = Field(-3.0, ge=-10.0, le=10.0, description="sigmoid input at t = 0 (before / tau)")
    end: float = Field(3.0, ge=-10.0, le=10.0, description="sigmoid input at t = T (before / tau)")
    tau: float = Field(1.0, ge=0.1, le=10.0, description="temperature: larger is closer to linear in alpha_bar")

    @model_validator(mode="after")
    def _ordered(self) -> SigmoidAlphaBarSchedule:
        if not (self.end - self.start) / self.tau >= 0.01:
            raise ValueError(
                f"(end - start) / tau must be >= 0.01, got start={self.start}, end={self.end}, tau={self.tau}"
            )
        if max(abs(self.start), abs(self.end)) / self.tau > 10.0:
            raise ValueError(
                f"max(|start|, |end|) / tau = {max(abs(self.start), abs(self.end)) / self.tau:.3g} > 10: the "
                "sigmoid saturates and the betas vanish at one end"
            )
        return self

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        v_start, v_end = _sigmoid(self.start / self.tau), _sigmoid(self.end / self.tau)
        span = self.end - self.start
        abar = [
            (-_sigmoid((i / timesteps * span + self.start) / self.tau) + v_end) / (v_end - v_start)
            for i in range(timesteps + 1)
        ]
        abar = [a / abar[0] for a in abar]
        return [min(max(1.0 - abar[i + 1] / abar[i], 0.0), 0.999) for i in range(timesteps)]


class SigmoidBetaSchedule(_BetaRangeSpec):
    """Sigmoid in beta space: betas follow a sigmoid from `linear_start` to `linear_end`.

    beta_t = sigmoid(-6 + 12 t / (T - 1)) * (linear_end - linear_start) + linear_start.
    Source: diffusers ``DDPMScheduler(beta_schedule="sigmoid")`` (from GeoDiff, Xu et al. 2022), here in
    float64 (diffusers uses float32). Very different from `sigmoid_alphabar`.
    """

    name: Literal["sigmoid_beta"] = "sigmoid_beta"
    impl: ClassVar[str] = f"{_IMPL}:sigmoid_beta_betas"
    linear_start: float = Field(1e-4, ge=MIN_BETA, lt=1.0, description="lower asymptote of the betas (beta_0 ~ it)")
    linear_end: float = Field(2e-2, ge=MIN_BETA, lt=1.0, description="upper asymptote of the betas (beta_{T-1} ~ it)")

    def raw_reference_betas(self, timesteps: int) -> list[float]:
        span = self.linear_end - self.linear_start
        return [_sigmoid(x) * span + self.linear_start for x in linspace(-6.0, 6.0, timesteps)]


class GivenBetasSchedule(ScheduleSpec):
    """Explicit betas (CompVis `given_betas`); the schedule length is len(betas) and `timesteps` is ignored.

    beta_t = betas[t]. Source: CompVis ``register_schedule(given_betas=...)``, which needs a numpy array;
    here a plain list (what YAML gives) in float64.
    """

    name: Literal["given_betas"] = "given_betas"
    impl: ClassVar[str] = f"{_IMPL}:given_betas"
    uses_timesteps: ClassVar[bool] = False
    betas: list[float] = Field(..., min_length=2, description="beta_t for t = 0..T-1, each in (0, 1)")

    @model_validator(mode="after")
    def _in_range(self) -> GivenBetasSchedule:
        bad = [i for i, b in enumerate(self.betas) if not (math.isfinite(b) and 0.0 < b < 1.0)]
        if bad:
            raise ValueError(f"betas must lie in (0, 1); bad entries at index {bad[:5]} (e.g. {self.betas[bad[0]]!r})")
        return self

    def reference_betas(self, timesteps: int) -> list[float]:
        return list(self.betas)

    def check(self, timesteps: int) -> list[str]:
        return beta_problems(list(self.betas))
