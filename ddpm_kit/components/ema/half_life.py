"""`half_life`: EDM's EMA given as a half-life in images or steps (Karras et al. 2022)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ddpm_kit.components.ema.base import IMPL_PACKAGE, check_step, half_life_to_decay, images_to_steps
from ddpm_kit.registry import EMASpec


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
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.half_life_impl:HalfLifeEma"

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
        check_step(step)
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

    def half_life_steps(self, step: int, batch_size: int | None = None) -> float | None:
        if self.half_life_images is not None and self.resolve_batch_size(batch_size) is None:
            return None  # given in images: unknown until the batch size is
        return self.half_life_at(step, batch_size)
