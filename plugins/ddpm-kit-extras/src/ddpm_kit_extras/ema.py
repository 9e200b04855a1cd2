"""Post-hoc power-function EMA (torch-free spec and the pure-Python least-squares fit).

A power-function EMA with exponent gamma averages the weights seen up to step t with the profile
p_{t,gamma}(tau) = (gamma + 1) tau^gamma / t^(gamma + 1) on [0, t] (Karras et al. 2024, EDM2). Profiles
of one t are functions in L2[0, t] with inner products

    <p_{t,a}, p_{t,b}> = (a + 1)(b + 1) / ((a + b + 1) t)

so tracking K profiles lets a profile of any other width be approximated afterwards by the
least-squares combination sum_k x_k p_{t,gamma_k}: solve G x = g with G_jk = <p_j, p_k>,
g_j = <p_j, p_target> (the 1/t cancels), then normalise x to sum 1 so that a constant weight stays
constant. EDM2 fits across stored snapshots of many t; here only the K profiles of the current step
are combined, which needs no snapshots and already reaches widths between the tracked ones.
"""

from __future__ import annotations

import math
from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from ddpm_kit.registry import EMASpec
from ddpm_kit.components.ema.base import POWER_STD_MAX, decay_to_half_life, power_std_to_gamma

Std = Annotated[float, Field(gt=0.0, lt=POWER_STD_MAX)]


def profile_inner_product(a: float, b: float) -> float:
    """t <p_{t,a}, p_{t,b}> = (a + 1)(b + 1) / (a + b + 1) for power profiles of the same t."""
    return (a + 1.0) * (b + 1.0) / (a + b + 1.0)


def solve(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """x with matrix x = rhs, by Gaussian elimination with partial pivoting (small K, float64)."""
    size = len(rhs)
    rows = [list(row) + [value] for row, value in zip(matrix, rhs)]  # augmented [K, K + 1]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        if rows[pivot][col] == 0.0:
            raise ValueError("singular profile Gram matrix: the tracked stds must differ")
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(col + 1, size):
            factor = rows[r][col] / rows[col][col]
            rows[r] = [x - factor * y for x, y in zip(rows[r], rows[col])]
    out = [0.0] * size
    for r in reversed(range(size)):
        out[r] = (rows[r][size] - sum(rows[r][c] * out[c] for c in range(r + 1, size))) / rows[r][r]
    return out


def posthoc_coefficients(gammas: list[float], target_gamma: float) -> list[float]:
    """Normalised least-squares weights x_k of the tracked profiles gamma_k for the target profile."""
    gram = [[profile_inner_product(a, b) for b in gammas] for a in gammas]
    rhs = [profile_inner_product(a, target_gamma) for a in gammas]
    weights = solve(gram, rhs)
    total = sum(weights)
    return [w / total for w in weights]


def power_decay(step: int, gamma: float) -> float:
    """beta_t = (1 - 1/t)^(gamma + 1), the per-update decay of a power-function EMA at step t >= 1."""
    if step < 1:
        raise ValueError(f"step counts optimizer steps taken so far and is >= 1 on the first update, got {step}")
    return (1.0 - 1.0 / step) ** (gamma + 1.0)


class PostHocPowerEmaSpec(EMASpec):
    """Post-hoc power EMA: track power-function EMAs of several widths, use their fit to a target width.

    Each tracked profile k follows shadow_k <- beta_k shadow_k + (1 - beta_k) theta with
    beta_k = (1 - 1/t)^(gamma_k + 1), gamma_k from std_k (sigma_rel) by EDM2's Eq. 3. The weights used for
    validation and sampling are sum_k x_k shadow_k, where x solves the least-squares fit of the target
    profile (width ``target_std``) by the tracked ones (Gram matrix (a+1)(b+1)/(a+b+1), normalised to sum 1;
    see the module docstring). Other widths can be synthesised later from a checkpoint with
    ``ddpm_kit_extras.posthoc.synthesize``. Source: Karras et al. 2024, "Analyzing and Improving the
    Training Dynamics of Diffusion Models" (EDM2), Sec. 3 and App. C (post-hoc EMA).
    """

    name: Literal["extras.posthoc_power"] = "extras.posthoc_power"
    impl: ClassVar[str] = "ddpm_kit_extras.impl.ema:PostHocPowerEma"
    stds: tuple[Std, ...] = Field((0.05, 0.1), min_length=2, max_length=8,
                                  description="relative widths sigma_rel of the tracked profiles, increasing "
                                              "(EDM2 tracks 0.05 and 0.10)")
    target_std: Std = Field(0.075, description="relative width of the profile used for validation and sampling")

    @model_validator(mode="after")
    def _fit_is_an_average(self) -> PostHocPowerEmaSpec:
        if any(b <= a * 1.01 for a, b in zip(self.stds, self.stds[1:])):
            raise ValueError(f"stds must increase by more than 1% from one to the next, got {list(self.stds)}")
        if not self.stds[0] <= self.target_std <= self.stds[-1]:
            raise ValueError(f"target_std {self.target_std} lies outside the tracked range "
                             f"[{self.stds[0]}, {self.stds[-1]}]: the fit would extrapolate")
        negative = [k for k, x in enumerate(self.coefficients()) if x < -1e-9]
        if negative:
            raise ValueError(f"the fit of target_std {self.target_std} gives negative weights to stds "
                             f"{[self.stds[k] for k in negative]}: the result would not be an average; track "
                             f"stds closer to the target")
        return self

    def gammas(self) -> list[float]:
        """Exponents gamma_k of the tracked profiles."""
        return [power_std_to_gamma(std) for std in self.stds]

    def coefficients(self, target_std: float | None = None) -> list[float]:
        """Weights x_k of the tracked profiles for ``target_std`` (default: the spec's)."""
        target = self.target_std if target_std is None else target_std
        return posthoc_coefficients(self.gammas(), power_std_to_gamma(target))

    def decay_at(self, step: int) -> float:
        """Effective decay sum_k x_k beta_k(t): the weight the synthesised shadow keeps from the previous
        profiles (the new weights get 1 minus it)."""
        return math.fsum(x * power_decay(step, g) for x, g in zip(self.coefficients(), self.gammas()))

    def half_life_steps(self, step: int, batch_size: int | None = None) -> float | None:
        return decay_to_half_life(min(max(self.decay_at(step), 0.0), 1.0))
