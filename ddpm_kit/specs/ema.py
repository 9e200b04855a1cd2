"""EMA strategy specs (torch-free): how the shadow weights follow the trained weights.

Every strategy is a per-update decay ``beta(step)``; one update is

    shadow <- beta * shadow + (1 - beta) * theta

called once per optimizer step with ``step`` = optimizer steps taken so far (1 on the first
call). ``decay_at(step)`` gives beta in pure Python; ``half_life_steps(step)`` gives the
half-life, in optimizer steps, that a constant EMA with that beta would have:
``h = ln(1/2) / ln(beta)``. The helpers at the bottom convert between decays, half-lives in
steps and half-lives in images (for ``ddpm-kit validate``'s summary).
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ddpm_kit.registry import EMASpec

IMPL_MODULE = "ddpm_kit.components.ema"


# --------------------------------------------------------------------------- conversions
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


def _check_step(step: int) -> None:
    if step < 1:
        raise ValueError(f"step counts optimizer steps taken so far and is >= 1 on the first update, got {step}")


# --------------------------------------------------------------------------- strategies
class LitEmaSpec(EMASpec):
    """CompVis LitEma: decay_n = min(decay, (1 + n) / (10 + n)) with the already-incremented counter n.

    shadow <- shadow - (1 - decay_n) (shadow - theta), for every parameter that required grad when
    the EMA was created; n is the ``num_updates`` buffer (int32, -1 disables the warm-up), so the
    first update uses 2/11. Buffers ``decay``, ``num_updates`` and one shadow per parameter named by
    deleting the dots (``model_ema.diffusion_modelout2weight``), so upstream checkpoints load.
    Upstream updates once per micro-batch; ddpm-kit calls ``update`` once per optimizer step,
    so with gradient accumulation n counts optimizer steps. ``decay_at(step)`` assumes n = step.
    Source: CompVis/latent-diffusion ``ldm/modules/ema.py``.
    """

    name: Literal["lit_ema"] = "lit_ema"
    decay: float = Field(0.9999, ge=0.0, le=1.0, description="upper bound of the per-update decay")
    use_num_updates: bool = Field(
        True, description="warm-up min(decay, (1+n)/(10+n)); false keeps the decay fixed (num_updates = -1)"
    )
    impl: ClassVar[str] = f"{IMPL_MODULE}:LitEma"

    def decay_at(self, step: int) -> float:
        """Decay used by the update that brings the counter to n = step (float64; the module uses float32)."""
        _check_step(step)
        if not self.use_num_updates:
            return self.decay
        return min(self.decay, (1 + step) / (10 + step))

    def half_life_steps(self, step: int) -> float | None:
        return decay_to_half_life(self.decay_at(step))


class ConstantEmaSpec(EMASpec):
    """Fixed decay, no warm-up: shadow <- decay * shadow + (1 - decay) * theta at every update.

    Half-life ln(1/2) / ln(decay) updates (0.9999 ~ 6931 steps). Source: Polyak averaging as used by
    Ho et al. 2020 (DDPM, decay 0.9999).
    """

    name: Literal["constant"] = "constant"
    decay: float = Field(0.9999, ge=0.0, le=1.0, description="per-update decay")
    impl: ClassVar[str] = f"{IMPL_MODULE}:ConstantEma"

    def decay_at(self, step: int) -> float:
        _check_step(step)
        return self.decay

    def half_life_steps(self, step: int) -> float | None:
        return decay_to_half_life(self.decay)


class HalfLifeEmaSpec(EMASpec):
    """EDM half-life EMA: beta = (1/2)^(1 / h), h = min(H, rampup_ratio * (step - 1)) in optimizer steps.

    Karras et al. 2022 (EDM), ``training_loop.py``: the half-life is ``ema_halflife_kimg`` thousand
    images; with ``rampup_ratio`` r it is capped at r times the images seen *before* this update,
    (step - 1) * batch_size, so the first update copies the weights (beta = 0). In steps,
    H = half_life_images / batch_size, where batch_size is the effective batch (per-device batch x
    devices x nodes x gradient accumulation), taken from the field or given when the module is built.
    ``half_life_updates`` states H directly in optimizer steps and needs no batch size.
    """

    name: Literal["half_life"] = "half_life"
    half_life_images: float | None = Field(
        None, gt=0, description="half-life in training images (EDM: ema_halflife_kimg * 1000, default 500k)"
    )
    half_life_updates: float | None = Field(None, gt=0, description="half-life in optimizer steps")
    rampup_ratio: float | None = Field(
        0.05, gt=0, description="cap the half-life at this fraction of the training seen so far (EDM 0.05); null: off"
    )
    batch_size: int | None = Field(
        None, ge=1, description="effective images per optimizer step, to convert half_life_images (else given at build)"
    )
    impl: ClassVar[str] = f"{IMPL_MODULE}:HalfLifeEma"

    @model_validator(mode="after")
    def _one_half_life(self) -> HalfLifeEmaSpec:
        if (self.half_life_images is None) == (self.half_life_updates is None):
            raise ValueError("set exactly one of half_life_images and half_life_updates")
        if self.half_life_updates is not None and self.batch_size is not None:
            raise ValueError("batch_size only converts half_life_images; remove it when half_life_updates is set")
        return self

    def resolve_batch_size(self, batch_size: int | None) -> int | None:
        """The batch size that converts images to steps: the field, or the one given at build time."""
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if self.half_life_updates is not None:
            return None
        if self.batch_size is not None and batch_size is not None and batch_size != self.batch_size:
            raise ValueError(f"half_life EMA: the spec says batch_size={self.batch_size} but the run uses {batch_size}")
        return self.batch_size if self.batch_size is not None else batch_size

    def half_life_at(self, step: int, batch_size: int | None = None) -> float:
        """h(step) in optimizer steps, ramp-up included."""
        _check_step(step)
        resolved = self.resolve_batch_size(batch_size)
        if self.half_life_updates is not None:
            target = self.half_life_updates
        elif resolved is None:
            raise ValueError("half_life_images needs the effective batch size: set batch_size or pass it at build time")
        else:
            target = images_to_steps(self.half_life_images, resolved)  # type: ignore[arg-type]
        if self.rampup_ratio is None:
            return target
        return min(target, self.rampup_ratio * (step - 1))

    def decay_at(self, step: int, batch_size: int | None = None) -> float:
        return half_life_to_decay(self.half_life_at(step, batch_size))

    def half_life_steps(self, step: int) -> float | None:
        if self.half_life_images is not None and self.batch_size is None:
            return None
        return self.half_life_at(step)


class PowerEmaSpec(EMASpec):
    """EDM2 power-function EMA: beta_t = (1 - 1/t)^(gamma + 1), t = optimizer steps taken so far.

    The shadow at step t averages the weights with p(tau) ~ tau^gamma: the weight of theta_tau is
    (tau^(gamma+1) - (tau-1)^(gamma+1)) / t^(gamma+1), so it never forgets the start entirely and its
    relative width is sigma_rel = sqrt((gamma+1) / ((gamma+2)^2 (gamma+3))). Give ``std`` (sigma_rel,
    EDM2 uses 0.05 and 0.10) or ``gamma``. Source: Karras et al. 2024 (EDM2), Eq. 2-3, ``phema.py``.
    """

    name: Literal["power"] = "power"
    std: float | None = Field(
        None, gt=0, lt=POWER_STD_MAX, description="relative width sigma_rel of the averaging profile (EDM2 0.05)"
    )
    gamma: float | None = Field(None, gt=0, description="exponent of the averaging profile p(tau) ~ tau^gamma")
    impl: ClassVar[str] = f"{IMPL_MODULE}:PowerEma"

    @model_validator(mode="after")
    def _one_width(self) -> PowerEmaSpec:
        if (self.std is None) == (self.gamma is None):
            raise ValueError("set exactly one of std (sigma_rel) and gamma")
        return self

    def exponent(self) -> float:
        """gamma, from the field or converted from std."""
        return self.gamma if self.gamma is not None else power_std_to_gamma(self.std)  # type: ignore[arg-type]

    def decay_at(self, step: int) -> float:
        _check_step(step)
        return (1.0 - 1.0 / step) ** (self.exponent() + 1.0)

    def half_life_steps(self, step: int) -> float | None:
        return decay_to_half_life(self.decay_at(step))


# --------------------------------------------------------------------------- summary
def ema_half_life_steps(spec: EMASpec, step: int, batch_size: int | None = None) -> float | None:
    """Half-life in optimizer steps at ``step``; a half_life spec may take the run's batch size here."""
    if isinstance(spec, HalfLifeEmaSpec):
        if spec.half_life_images is not None and spec.resolve_batch_size(batch_size) is None:
            return None
        return spec.half_life_at(step, batch_size)
    return spec.half_life_steps(step)


def describe_half_life(spec: EMASpec, step: int, batch_size: int | None = None) -> str:
    """One line for ``validate``'s summary: ``"half-life 6931 steps (887k images) at step 100000"``."""
    steps = ema_half_life_steps(spec, step, batch_size)
    if steps is None:
        return f"{spec.name}: half-life unknown at step {step} (needs the effective batch size)"
    if math.isinf(steps):
        return f"{spec.name}: never updates (decay 1) at step {step}"
    text = f"{spec.name}: half-life {steps:.6g} steps"
    if batch_size is not None:
        text += f" ({steps * batch_size:.4g} images at batch {batch_size})"
    return text + f" at step {step}"
