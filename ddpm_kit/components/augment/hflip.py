"""`hflip`: mirror the image left-right with probability p."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ddpm_kit.components.augment.base import IMPL_PACKAGE, Probability
from ddpm_kit.registry import AugmentSpec


class HFlipSpec(AugmentSpec):
    """Horizontal flip x[..., w] <- x[..., W - 1 - w] of each sample with probability p (leaky: no condition).

    Use it for data whose mirror images are equally likely (most photographs); the model then also
    generates mirrored images, which is what a flip-invariant distribution looks like.
    """

    name: Literal["hflip"] = "hflip"
    p: Probability = Field(0.5, description="probability that a sample is flipped")
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.hflip_impl:hflip"
