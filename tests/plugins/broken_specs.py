"""Torch-free specs of deliberately broken components, one per kind (the implementations: broken_impls).

Each has one defect; tests register them from code and check that
``ddpm-kit plugins check`` names the property it violates.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

from ddpm_kit.registry import (
    BackboneSpec, DataSpec, EMASpec, LossSpec, LRScheduleSpec, SamplerSpec, WeightingSpec,
)

IMPLS = "tests.plugins.broken_impls"


class BatchMeanLoss(LossSpec):
    """Squared error averaged over the whole batch (one number instead of one per sample)."""

    name: Literal["broken.batch_mean"] = "broken.batch_mean"
    impl: ClassVar[str] = f"{IMPLS}:batch_mean_loss"


class NaNAtZeroWeighting(WeightingSpec):
    """w = snr / snr: NaN at snr = 0 (a weighting is its formula: no implementation)."""

    name: Literal["broken.nan_at_zero"] = "broken.nan_at_zero"

    def weight_reference(self, snr: float, parameterization: str) -> float:
        return math.nan if snr == 0 else snr / snr


class NoisyBackbone(BackboneSpec):
    """A linear map plus fresh noise on every call, even in eval mode."""

    name: Literal["broken.noisy"] = "broken.noisy"
    impl: ClassVar[str] = f"{IMPLS}:NoisyBackbone"

    def data_channels(self) -> int | None:
        return 2

    def output_channels(self) -> int | None:
        return 2

    def data_dims(self) -> int:
        return 1


class OvershootingEma(EMASpec):
    """Decay 1.5: the shadow runs away from the weights."""

    name: Literal["broken.overshoot"] = "broken.overshoot"
    impl: ClassVar[str] = f"{IMPLS}:OvershootingEma"


class ForgetfulEma(EMASpec):
    """Keeps its warm-up counter in a plain attribute, so a checkpoint loses it."""

    name: Literal["broken.forgetful"] = "broken.forgetful"
    impl: ClassVar[str] = f"{IMPLS}:ForgetfulEma"


class IdleSampler(SamplerSpec):
    """Returns the initial noise x_T without denoising."""

    name: Literal["broken.idle"] = "broken.idle"
    impl: ClassVar[str] = f"{IMPLS}:IdleSampler"

    def num_steps(self, timesteps: int) -> int:
        return 0


class WrongShapeData(DataSpec):
    """Declares (3,) samples but yields (2,) ones."""

    name: Literal["broken.wrong_shape"] = "broken.wrong_shape"
    impl: ClassVar[str] = f"{IMPLS}:wrong_shape_data"

    def sample_shape(self) -> tuple[int, ...] | None:
        return (3,)


class NegativeLR(LRScheduleSpec):
    """m(n) = 1 - n / 100: negative after step 100."""

    name: Literal["broken.negative"] = "broken.negative"
    impl: ClassVar[str] = "ddpm_kit.components.lr_schedules.base_impl:lr_lambda"

    def multiplier_reference(self, step: int) -> float:
        return 1.0 - step / 100


#: spec class -> the property its defect violates (a defect may violate related properties too)
BROKEN = {
    BatchMeanLoss: "per-sample shape, >= 0, 0 at equality",
    NaNAtZeroWeighting: "finite at SNR 0 and inf",
    NoisyBackbone: "determinism",
    OvershootingEma: "decay bounds",
    ForgetfulEma: "state round trip",
    IdleSampler: "recovers a point mass",
    WrongShapeData: "declared keys, shape and layout",
    NegativeLR: "finite, >= 0, equal to multiplier_reference",
}
