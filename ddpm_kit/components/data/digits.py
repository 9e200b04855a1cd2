"""`digits`: the handwritten digits that ship inside scikit-learn (no download)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from ddpm_kit.components.data.base import IMPL_PACKAGE, SplitDataSpec

#: number of images per digit 0..9 in scikit-learn's bundled digits (1,797 in all)
DIGITS_PER_CLASS = (178, 182, 177, 183, 181, 182, 181, 179, 174, 180)


class DigitsSpec(SplitDataSpec):
    """scikit-learn's bundled handwritten digits: 1,797 8x8 grey images (values 0..16) with labels 0..9.

    Scaled x / 8 - 1 to [-1, 1], resized to image_size x image_size when it is not 8 (torch
    ``interpolate``: ``bilinear`` with antialiasing when shrinking, or ``nearest-exact``). Labels are the
    digit values even when ``classes`` selects a subset. No download. Source: UCI optical recognition
    of handwritten digits, via ``sklearn.datasets.load_digits``.
    """

    name: Literal["digits"] = "digits"
    image_size: int = Field(8, ge=1, le=1024, description="side of the square images (8 = native)")
    interpolation: Literal["bilinear", "nearest"] = Field("bilinear", description="resize filter when image_size != 8")
    classes: tuple[Annotated[int, Field(ge=0, le=9)], ...] | None = Field(
        None, min_length=1, description="keep only these digits (labels keep their digit values)"
    )
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.digits_impl:build_digits"

    @field_validator("classes")
    @classmethod
    def _unique_classes(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError(f"classes must not repeat a digit, got {list(value)}")
        return value

    @model_validator(mode="after")
    def _split_not_empty(self) -> DigitsSpec:
        total = self.num_items()
        held_out = round(total * self.val_fraction)
        if self.val_fraction > 0 and not 1 <= held_out < total:
            raise ValueError(f"val_fraction {self.val_fraction} of {total} images leaves an empty split")
        return self

    def num_items(self) -> int:
        digits = range(10) if self.classes is None else self.classes
        return sum(DIGITS_PER_CLASS[d] for d in digits)

    def sample_shape(self) -> tuple[int, ...] | None:
        return (1, self.image_size, self.image_size)

    def has_labels(self) -> bool:
        return True

    def num_classes(self) -> int | None:
        return 10
