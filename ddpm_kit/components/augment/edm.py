"""`edm_augment`: EDM's non-leaky geometric augmentation, its parameters fed to the network as a condition."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from ddpm_kit.components.augment.base import IMPL_PACKAGE, Probability
from ddpm_kit.registry import AugmentSpec

#: a probability multiplier (EDM uses 1e8 for "always" with xflip)
Multiplier = Annotated[float, Field(ge=0.0, le=1e8)]
Spread = Annotated[float, Field(ge=0.0, le=10.0)]

#: (field, label entries) in EDM's order; the augment_labels vector holds the entries of the enabled ones
LABEL_LAYOUT: tuple[tuple[str, int], ...] = (
    ("xflip", 1), ("yflip", 1), ("rotate_int", 2), ("translate_int", 2),
    ("scale", 1), ("rotate_frac", 2), ("aniso", 2), ("translate_frac", 2),
)


class EDMAugmentSpec(AugmentSpec):
    """Non-leaky augmentation of EDM (Karras et al. 2022, app. C; NVlabs/edm ``training/augment.py``).

    Each enabled transform is applied to a sample with probability min(1, multiplier * p), in EDM's order:
    x-flip, y-flip, rotation by k * 90 deg, integer translation (reflect at the borders), then one affine map
    of isotropic scale 2^(N(0,1) scale_std), rotation by U(-pi, pi) rotate_frac_max, anisotropic scale
    2^(+-N(0,1) aniso_std) along a random axis and translation N(0,1) translate_frac_std * (W, H), resampled
    bilinearly with reflect padding. The drawn parameters form ``augment_labels`` (EDM's vector: flip bits,
    rotation quadrant bits, translations / (size * max), log2 scale / std, cos - 1 and sin of the angle, ...;
    zeros = no augmentation), which the network takes as a condition so that it learns the augmented
    distribution apart from the clean one and samples with zeros are not augmented (non-leaky).
    Differences from EDM: no sym6 2x supersampling before the resampling (plain bilinear), no colour
    transforms. Defaults are EDM's CIFAR-10 settings (p = 0.12; xflip, yflip, scale, rotate_frac, aniso,
    translate_frac on): 9 label entries.
    """

    name: Literal["edm_augment"] = "edm_augment"
    p: Probability = Field(0.12, description="overall augmentation probability (EDM: 0.12 on CIFAR-10)")
    xflip: Multiplier = Field(1e8, description="probability multiplier of the x-flip")
    yflip: Multiplier = Field(1.0, description="probability multiplier of the y-flip")
    rotate_int: Multiplier = Field(0.0, description="probability multiplier of rotation by a multiple of 90 deg")
    translate_int: Multiplier = Field(0.0, description="probability multiplier of integer translation")
    translate_int_max: Spread = Field(0.125, description="range of the integer translation, share of the size")
    scale: Multiplier = Field(1.0, description="probability multiplier of isotropic scaling")
    rotate_frac: Multiplier = Field(1.0, description="probability multiplier of arbitrary rotation")
    aniso: Multiplier = Field(1.0, description="probability multiplier of anisotropic scaling")
    translate_frac: Multiplier = Field(1.0, description="probability multiplier of fractional translation")
    scale_std: Spread = Field(0.2, description="log2 standard deviation of the isotropic scale")
    rotate_frac_max: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        1.0, description="range of the arbitrary rotation, 1 = full circle")
    aniso_std: Spread = Field(0.2, description="log2 standard deviation of the anisotropic scale")
    aniso_rotate_prob: Probability = Field(0.5, description="probability that the anisotropic axis is rotated")
    translate_frac_std: Spread = Field(0.125, description="standard deviation of the fractional translation, "
                                                          "share of the size")
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.edm_impl:edm_augment"

    @model_validator(mode="after")
    def _something_enabled(self) -> EDMAugmentSpec:
        if not self.enabled():
            raise ValueError("enable at least one transform (xflip, yflip, rotate_int, translate_int, scale, "
                             "rotate_frac, aniso, translate_frac > 0)")
        return self

    def enabled(self) -> list[str]:
        """The transforms with a multiplier > 0, in EDM's order."""
        return [field for field, _ in LABEL_LAYOUT if getattr(self, field) > 0]

    def condition_dim(self) -> int:
        """Length of augment_labels: 1 per flip and the scale, 2 per other enabled transform."""
        return sum(width for field, width in LABEL_LAYOUT if getattr(self, field) > 0)

    def probability(self, field: str) -> float:
        """min(1, multiplier * p) of one transform."""
        return min(1.0, getattr(self, field) * self.p)
