"""What the LR schedules share: step checks, warm-up and cosine pieces, the cycle base."""

from __future__ import annotations

import math
from typing import Annotated, ClassVar

from pydantic import Field, model_validator

from ddpm_kit.registry import LRScheduleSpec

IMPL_FUNCTION = "ddpm_kit.components.lr_schedules.base_impl:lr_lambda"
Multiplier = Annotated[float, Field(ge=0.0, le=1e6)]
Steps = Annotated[int, Field(ge=0)]


def check_step(n: int) -> None:
    if n < 0:
        raise ValueError(f"the optimizer step n is >= 0, got {n}")


def linear_warmup(n: int, warm_up_steps: int, start: float, peak: float) -> float:
    """start -> peak linearly over the warm-up: (peak - start) / W * n + start (upstream's operation order)."""
    return (peak - start) / warm_up_steps * n + start


def cosine_decay(n: int, warm_up_steps: int, decay_end: int, low: float, high: float) -> float:
    """high -> low over [W, M]: tau = min((n - W) / (M - W), 1); low + 0.5 (high - low)(1 + cos(pi tau))."""
    tau = min((n - warm_up_steps) / (decay_end - warm_up_steps), 1.0)
    return low + 0.5 * (high - low) * (1 + math.cos(tau * math.pi))


class CycleSpec(LRScheduleSpec):
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
    def _cycles(self) -> CycleSpec:
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
        check_step(step)
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
