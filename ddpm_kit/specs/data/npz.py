"""`npz`: arrays from a .npz file, with their layout and value range stated."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from ddpm_kit.specs.data.base import CHANNELS_FIRST, IMPL_PACKAGE, Key, SplitDataSpec


class NpzSpec(SplitDataSpec):
    """Arrays from a ``.npz`` file: [N, D] vectors, [N, H, W] grey images, or [N, C, H, W] / [N, H, W, C].

    A 4-D array needs ``layout`` (channels_first or channels_last): ddpm-kit never guesses it from
    the shape. Stored values in [lo, hi] = ``value_range`` map linearly to [-1, 1]: 2 (x - lo) / (hi - lo) - 1;
    values outside the range or not finite are errors. Loaded with ``allow_pickle=False``.
    """

    name: Literal["npz"] = "npz"
    path: str = Field(min_length=1, description=".npz file")
    key: Key = Field("image", description="name of the sample array inside the file")
    labels_key: Key | None = Field(None, description="name of a 1-D integer label array inside the file")
    layout: Literal["channels_first", "channels_last"] | None = Field(
        None, description="axis order of a 4-D array: [N, C, H, W] (channels_first) or [N, H, W, C] (channels_last)"
    )
    value_range: tuple[float, float] = Field(description="[lo, hi] of the stored values, mapped to [-1, 1]")
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.npz:build_npz"

    @field_validator("value_range")
    @classmethod
    def _ordered_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not value[0] < value[1]:
            raise ValueError(f"value_range is [lo, hi] with lo < hi, got {list(value)}")
        return value

    @model_validator(mode="after")
    def _different_arrays(self) -> NpzSpec:
        if self.labels_key is not None and self.labels_key == self.key:
            raise ValueError(f"key and labels_key both name the array {self.key!r}")
        return self

    def has_labels(self) -> bool:
        return self.labels_key is not None

    def item_layout(self) -> str | None:
        """Known only for 4-D arrays (``layout`` set); [N, D] vs [N, H, W] is decided by the file."""
        return CHANNELS_FIRST if self.layout is not None else None
