"""Learning-rate schedule specs (torch-free): the LambdaLR multiplier m(n) at optimizer step n.

``multiplier_reference(n)`` *is* the implementation (pure Python float64); the torch side wraps it
for ``LambdaLR`` (``ddpm_kit.components.lr_schedules``). The ``lambda_*`` schedules reproduce
CompVis ``ldm/lr_scheduler.py`` value for value, including the operation order of each formula,
wherever upstream is defined. Where upstream crashes they are defined instead:

* ``max_decay_steps == warm_up_steps`` / ``cycle_lengths[k] <= warm_up_steps[k]`` (division by
  zero or a warm-up that never ends) are refused by validation;
* beyond the last cycle (upstream: TypeError) the multiplier holds its value at the end of the
  last cycle.
"""

from __future__ import annotations

import math
from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from ddpm_kit.registry import LRScheduleSpec

IMPL = "ddpm_kit.components.lr_schedules:lr_lambda"

Multiplier = Annotated[float, Field(ge=0.0, le=1e6)]
Steps = Annotated[int, Field(ge=0)]


def _check_step(n: int) -> None:
    if n < 0:
        raise ValueError(f"the optimizer step n is >= 0, got {n}")


def linear_warmup(n: int, warm_up_steps: int, start: float, peak: float) -> float:
    """start -> peak linearly over the warm-up: (peak - start) / W * n + start (upstream's operation order)."""
    return (peak - start) / warm_up_steps * n + start


def cosine_decay(n: int, warm_up_steps: int, decay_end: int, low: float, high: float) -> float:
    """high -> low over [W, M]: tau = min((n - W) / (M - W), 1); low + 0.5 (high - low)(1 + cos(pi tau))."""
    tau = min((n - warm_up_steps) / (decay_end - warm_up_steps), 1.0)
    return low + 0.5 * (high - low) * (1 + math.cos(tau * math.pi))


class ConstantLRSpec(LRScheduleSpec):
    """Constant multiplier 1: the learning rate is the optimizer's lr throughout."""

    name: Literal["constant"] = "constant"
    impl: ClassVar[str] = IMPL

    def multiplier_reference(self, step: int) -> float:
        _check_step(step)
        return 1.0


class LambdaWarmUpCosineSpec(LRScheduleSpec):
    """CompVis LambdaWarmUpCosineScheduler: linear warm-up lr_start -> lr_max, then cosine to lr_min.

    n < W: lr_start + (lr_max - lr_start) n / W; else tau = min((n - W) / (M - W), 1) and
    lr_min + (lr_max - lr_min)(1 + cos(pi tau)) / 2, held at lr_min after M = max_decay_steps.
    Source: CompVis/latent-diffusion ``ldm/lr_scheduler.py``.
    """

    name: Literal["lambda_warmup_cosine"] = "lambda_warmup_cosine"
    warm_up_steps: Steps = Field(description="W, steps of linear warm-up")
    lr_min: Multiplier = Field(description="multiplier reached at max_decay_steps and held")
    lr_max: Multiplier = Field(description="multiplier at the end of the warm-up")
    lr_start: Multiplier = Field(description="multiplier at step 0")
    max_decay_steps: Steps = Field(description="M, step where the cosine reaches lr_min (M > W)")
    verbosity_interval: Steps = Field(0, description="log the multiplier every this many steps (0: never)")
    impl: ClassVar[str] = IMPL

    @model_validator(mode="after")
    def _decay_after_warmup(self) -> LambdaWarmUpCosineSpec:
        if self.max_decay_steps <= self.warm_up_steps:
            raise ValueError(
                f"max_decay_steps ({self.max_decay_steps}) must exceed warm_up_steps ({self.warm_up_steps}); "
                f"upstream divides by their difference (ZeroDivisionError when equal)"
            )
        return self

    def multiplier_reference(self, step: int) -> float:
        _check_step(step)
        if step < self.warm_up_steps:
            return linear_warmup(step, self.warm_up_steps, self.lr_start, self.lr_max)
        return cosine_decay(step, self.warm_up_steps, self.max_decay_steps, self.lr_min, self.lr_max)


class _CycleSpec(LRScheduleSpec):
    """Fields and cycle lookup shared by the cyclic CompVis schedulers (one list entry per cycle)."""

    warm_up_steps: list[Steps] = Field(min_length=1, description="W_k, warm-up steps of each cycle")
    f_min: list[Multiplier] = Field(min_length=1, description="multiplier at the end of each cycle")
    f_max: list[Multiplier] = Field(min_length=1, description="multiplier at the end of each warm-up")
    f_start: list[Multiplier] = Field(min_length=1, description="multiplier at the start of each cycle")
    cycle_lengths: list[Annotated[int, Field(ge=1)]] = Field(min_length=1, description="L_k, steps of each cycle")
    verbosity_interval: Steps = Field(0, description="log the multiplier every this many steps (0: never)")

    #: True when the decay formula divides by L_k - W_k (cosine), False when by L_k (linear)
    strict_warmup: ClassVar[bool] = True

    @model_validator(mode="after")
    def _cycles(self) -> _CycleSpec:
        lengths = {f: len(getattr(self, f)) for f in ("warm_up_steps", "f_min", "f_max", "f_start", "cycle_lengths")}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"one entry per cycle in every list; got lengths {lengths}")
        for k, (warm, length) in enumerate(zip(self.warm_up_steps, self.cycle_lengths)):
            if warm > length or (self.strict_warmup and warm == length):
                relation = "exceed" if self.strict_warmup else "be at least"
                raise ValueError(
                    f"cycle {k}: cycle_lengths ({length}) must {relation} warm_up_steps ({warm})"
                    + ("; upstream divides by their difference" if self.strict_warmup else
                       "; the warm-up would never finish")
                )
        return self

    def cycle_starts(self) -> list[int]:
        """Cumulative cycle boundaries [0, L_0, L_0 + L_1, ...] (upstream ``cum_cycles``)."""
        starts = [0]
        for length in self.cycle_lengths:
            starts.append(starts[-1] + length)
        return starts

    def locate(self, step: int) -> tuple[int, int]:
        """(cycle k, local step n - start_k): the first k with n <= end_k (a boundary ends the earlier cycle).

        Beyond the last cycle (upstream: TypeError) the last cycle's final step is returned, so the
        multiplier holds its end-of-schedule value.
        """
        _check_step(step)
        starts = self.cycle_starts()
        for k, end in enumerate(starts[1:]):
            if step <= end:
                return k, step - starts[k]
        last = len(self.cycle_lengths) - 1
        return last, self.cycle_lengths[last]

    def after_warmup(self, k: int, local: int) -> float:
        raise NotImplementedError

    def multiplier_reference(self, step: int) -> float:
        k, local = self.locate(step)
        if local < self.warm_up_steps[k]:
            return linear_warmup(local, self.warm_up_steps[k], self.f_start[k], self.f_max[k])
        return self.after_warmup(k, local)


class LambdaWarmUpCosine2Spec(_CycleSpec):
    """CompVis LambdaWarmUpCosineScheduler2: per cycle k, linear warm-up f_start -> f_max, cosine to f_min.

    Local step n' = n - start_k; n' < W_k: f_start + (f_max - f_start) n' / W_k; else
    tau = min((n' - W_k) / (L_k - W_k), 1), f_min + (f_max - f_min)(1 + cos(pi tau)) / 2.
    Beyond the last cycle: held at the last cycle's final value (upstream: TypeError).
    Source: CompVis/latent-diffusion ``ldm/lr_scheduler.py``.
    """

    name: Literal["lambda_warmup_cosine2"] = "lambda_warmup_cosine2"
    impl: ClassVar[str] = IMPL

    def after_warmup(self, k: int, local: int) -> float:
        return cosine_decay(local, self.warm_up_steps[k], self.cycle_lengths[k], self.f_min[k], self.f_max[k])


class LambdaLinearSpec(_CycleSpec):
    """CompVis LambdaLinearScheduler: per cycle, linear warm-up, then f_min + (f_max - f_min)(L_k - n') / L_k.

    The decay is measured from the start of the cycle, not from the end of the warm-up, so the
    multiplier jumps at n' = W_k (W=100, L=1000: 0.99 at n=99, 0.91 at n=100) — reproduced as upstream.
    The LD configs use W=[10000], L=[1e13], f_start=[1e-6], f_max=f_min=[1]: warm-up, then constant.
    Beyond the last cycle: held at f_min of the last cycle (upstream: TypeError).
    Source: CompVis/latent-diffusion ``ldm/lr_scheduler.py``.
    """

    name: Literal["lambda_linear"] = "lambda_linear"
    impl: ClassVar[str] = IMPL
    strict_warmup: ClassVar[bool] = False

    def after_warmup(self, k: int, local: int) -> float:
        length = self.cycle_lengths[k]
        return self.f_min[k] + (self.f_max[k] - self.f_min[k]) * (length - local) / length


class WarmupCosineSpec(LRScheduleSpec):
    """Linear warm-up then cosine decay to min_ratio: the common modern default.

    n < W: n / W (0 at the first step, as in HF transformers' get_cosine_schedule_with_warmup);
    then p = min((n - W) / (N - W), 1) and min_ratio + (1 - min_ratio)(1 + cos(pi p)) / 2, held at
    min_ratio after N = total_steps. Source: Loshchilov & Hutter 2017 (SGDR), Goyal et al. 2017 (warm-up).
    """

    name: Literal["warmup_cosine"] = "warmup_cosine"
    warmup_steps: Steps = Field(0, description="W, steps of linear warm-up from 0")
    total_steps: Annotated[int, Field(ge=1)] = Field(description="N, step where the cosine reaches min_ratio")
    min_ratio: float = Field(0.0, ge=0.0, le=1.0, description="final multiplier, as a fraction of the peak")
    impl: ClassVar[str] = IMPL

    @model_validator(mode="after")
    def _decay_after_warmup(self) -> WarmupCosineSpec:
        if self.total_steps <= self.warmup_steps:
            raise ValueError(f"total_steps ({self.total_steps}) must exceed warmup_steps ({self.warmup_steps})")
        return self

    def multiplier_reference(self, step: int) -> float:
        _check_step(step)
        if step < self.warmup_steps:
            return step / self.warmup_steps
        return cosine_decay(step, self.warmup_steps, self.total_steps, self.min_ratio, 1.0)
