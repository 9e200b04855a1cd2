"""What the EMA strategies share: conversions between decays, half-lives in steps and in images."""

from __future__ import annotations

import math

from ddpm_kit.registry import EMASpec

IMPL_PACKAGE = "ddpm_kit.components.ema"


def decay_to_half_life(decay: float) -> float:
    """Half-life in updates of a constant decay: h = ln(1/2) / ln(decay); 0 at decay 0, inf at decay 1."""
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"an EMA decay lies in [0, 1], got {decay}")
    if decay == 0.0:
        return 0.0
    if decay == 1.0:
        return math.inf
    return math.log(0.5) / math.log(decay)


def half_life_to_decay(half_life: float) -> float:
    """Per-update decay with the given half-life in updates: decay = (1/2)^(1/h); 0 at h = 0."""
    if not half_life >= 0.0:
        raise ValueError(f"a half-life is >= 0, got {half_life}")
    if half_life == 0.0:
        return 0.0
    return 0.5 ** (1.0 / half_life)


def images_to_steps(images: float, batch_size: int) -> float:
    """Optimizer steps that consume ``images`` samples at an effective batch size: images / batch_size."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return images / batch_size


def power_gamma_to_std(gamma: float) -> float:
    """Relative standard deviation of the power-function EMA profile p(tau) ~ tau^gamma.

    sigma_rel = sqrt((gamma + 1) / ((gamma + 2)^2 (gamma + 3))) — Karras et al. 2024 (EDM2), Eq. 3.
    """
    return math.sqrt((gamma + 1.0) / ((gamma + 2.0) ** 2 * (gamma + 3.0)))


#: sigma_rel at gamma = 0; ``std`` must stay below it (the profile's width shrinks as gamma grows).
POWER_STD_MAX = power_gamma_to_std(0.0)


def power_std_to_gamma(std: float) -> float:
    """The exponent gamma > 0 whose profile has relative width ``std`` (inverse of ``power_gamma_to_std``).

    EDM2 takes the largest real root of gamma^3 + 7 gamma^2 + (16 - std^-2) gamma + (12 - std^-2) = 0;
    sigma_rel(gamma) decreases monotonically on gamma > 0, so bisection finds that root to the last ulp.
    """
    if not 0.0 < std < POWER_STD_MAX:
        raise ValueError(f"std (sigma_rel) must lie in (0, {POWER_STD_MAX:.6f}) for gamma > 0, got {std}")
    low, high = 0.0, 2.0 / std + 10.0  # sigma_rel(gamma) < 1/gamma, so the root lies below 1/std
    for _ in range(200):
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        if power_gamma_to_std(middle) > std:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


def check_step(step: int) -> None:
    if step < 1:
        raise ValueError(f"step counts optimizer steps taken so far and is >= 1 on the first update, got {step}")


def describe_half_life(spec: EMASpec, step: int, batch_size: int | None = None) -> str:
    """One line for ``validate``'s summary: ``"half-life 6931 steps (887k images) at step 100000"``."""
    steps = spec.half_life_steps(step, batch_size)
    if steps is None:
        return f"{spec.name}: half-life unknown at step {step} (needs the effective batch size)"
    if math.isinf(steps):
        return f"{spec.name}: never updates (decay 1) at step {step}"
    text = f"{spec.name}: half-life {steps:.6g} steps"
    if batch_size is not None:
        text += f" ({steps * batch_size:.4g} images at batch {batch_size})"
    return text + f" at step {step}"
