"""`random_resized_crop`: a random box of the image, resized back to the image size."""

from __future__ import annotations

import math
from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from ddpm_kit.components.augment.base import IMPL_PACKAGE, Probability
from ddpm_kit.registry import AugmentSpec

AreaFraction = Annotated[float, Field(gt=0.0, le=1.0)]
AspectRatio = Annotated[float, Field(gt=0.0, le=100.0)]

#: boxes tried before falling back to the central box (torchvision's rule)
ATTEMPTS = 10


class RandomResizedCropSpec(AugmentSpec):
    """Inception-style crop (Szegedy et al. 2015; torchvision ``RandomResizedCrop``), per sample with probability p.

    area a ~ U(scale) * H * W, log aspect log r ~ U(log ratio); box w = round(sqrt(a r)), h = round(sqrt(a / r)),
    its corner uniform over the positions where it fits; up to 10 tries, then the largest central box with the
    aspect clamped to ``ratio``. The box is resized back to H x W (bilinear, antialiased). Leaky: no condition.
    """

    name: Literal["random_resized_crop"] = "random_resized_crop"
    p: Probability = Field(1.0, description="probability that a sample is cropped")
    scale: tuple[AreaFraction, AreaFraction] = Field((0.8, 1.0), description="[low, high] share of the image "
                                                                             "area the box covers")
    ratio: tuple[AspectRatio, AspectRatio] = Field((3 / 4, 4 / 3), description="[low, high] width / height of "
                                                                               "the box")
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.random_resized_crop_impl:random_resized_crop"

    @model_validator(mode="after")
    def _ordered(self) -> RandomResizedCropSpec:
        for field in ("scale", "ratio"):
            low, high = getattr(self, field)
            if low > high:
                raise ValueError(f"{field} is [low, high]; got low {low} > high {high}")
        return self

    def log_ratio(self) -> tuple[float, float]:
        return (math.log(self.ratio[0]), math.log(self.ratio[1]))
