"""What the data sources share: layouts and the train/validation split."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from ddpm_kit.registry import DataSpec

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
