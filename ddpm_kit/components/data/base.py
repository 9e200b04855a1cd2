"""What the data sources share: layouts and the train/validation split."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ddpm_kit.registry import DataSpec
from ddpm_kit.registry.sizes import ImageSize, as_hw

IMPL_PACKAGE = "ddpm_kit.components.data"

#: item layouts a source can declare
CHANNELS_FIRST = "channels_first"
VECTOR = "vector"
LAYOUTS = (CHANNELS_FIRST, VECTOR)

#: a batch key: non-empty, no whitespace
Key = Annotated[str, Field(min_length=1, pattern=r"^\S+$")]


class SplitDataSpec(DataSpec):
    """Fields every built-in source shares: batch key names and the train/validation split."""

    image_key: Key = Field("image", description="batch key of the samples (model.first_stage_key)")
    label_key: Key = Field("class_label", description="batch key of the int64 class labels, when the source has them")
    val_fraction: float = Field(0.1, ge=0.0, lt=1.0, description="share of the items held out for validation")
    split_seed: int = Field(0, ge=0, lt=2**32, description="seed of the train/validation permutation")

    def item_layout(self) -> str | None:
        """Layout of one ``image_key`` item: ``channels_first`` ([C, H, W]) or ``vector`` ([D]); None if unknown."""
        return CHANNELS_FIRST

    def has_labels(self) -> bool:
        return False

    def num_classes(self) -> int | None:
        """Number of label values when known without reading data (labels lie in [0, num_classes))."""
        return None

    def keys(self) -> tuple[str, ...]:
        return (self.image_key, self.label_key) if self.has_labels() else (self.image_key,)

    def key_shapes(self) -> dict[str, tuple[int, ...]]:
        shape = self.sample_shape()
        return {} if shape is None else {self.image_key: tuple(shape)}

    @model_validator(mode="after")
    def _distinct_keys(self) -> SplitDataSpec:
        if self.has_labels() and self.image_key == self.label_key:
            raise ValueError(f"image_key and label_key are both {self.image_key!r}")
        return self


class ConditionImagesSpec(SplitDataSpec):
    """Fields of a source of images with condition images (masks, low-resolution inputs): ``paired_folder``,
    and plugins' sources such as ``hf.dataset``. Images are [channels, H, W] at ``image_size``; conditions are
    never resized (a resized mask blurs), so each must already be ``condition_size`` (default ``image_size``)."""

    condition_key: Key = Field("condition", description="batch key of the conditions (model.condition_keys.concat)")
    image_size: ImageSize = Field(64, description="side of the square images, or [H, W]")
    channels: Literal[1, 3] = Field(3, description="images: 1 = grey, 3 = RGB")
    condition_size: ImageSize | None = Field(None, description="side, or [H, W], every condition image must have "
                                                               "(default: image_size); never resized")
    condition_channels: Literal[1, 3] = Field(1, description="conditions: 1 = grey (masks), 3 = RGB")

    def has_conditions(self) -> bool:
        """Whether the items carry ``condition_key`` (a source may make the conditions optional)."""
        return True

    def condition_hw(self) -> tuple[int, int]:
        """(H, W) every condition image has."""
        return as_hw(self.image_size if self.condition_size is None else self.condition_size)

    def sample_shape(self) -> tuple[int, ...] | None:
        return (self.channels, *as_hw(self.image_size))

    def keys(self) -> tuple[str, ...]:
        return (*super().keys(), *((self.condition_key,) if self.has_conditions() else ()))

    def key_shapes(self) -> dict[str, tuple[int, ...]]:
        shapes = super().key_shapes()
        if self.has_conditions():
            shapes[self.condition_key] = (self.condition_channels, *self.condition_hw())
        return shapes

    @model_validator(mode="after")
    def _distinct_condition_key(self) -> ConditionImagesSpec:
        if self.condition_key in (self.image_key, self.label_key):
            raise ValueError(f"condition_key {self.condition_key!r} is also the image or label key")
        return self
