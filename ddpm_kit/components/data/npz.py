"""`npz`: arrays from a .npz file, with their layout and value range stated."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ddpm_kit.components.data.base import CHANNELS_FIRST, IMPL_PACKAGE, Key, SplitDataSpec


class NpzExtra(BaseModel):
    """One extra array of the file served under its own batch key (``extra_keys``)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    array: Key = Field(description="name of the array inside the file; its first axis is the item axis")
    value_range: tuple[float, float] | None = Field(
        None, description="[lo, hi] of image-like values, mapped to [-1, 1] with the sample array's rule "
                          "(None: the values as stored, as float32, e.g. embeddings)")
    layout: Literal["channels_first", "channels_last"] | None = Field(
        None, description="axis order of a 4-D image-like array (with value_range)")

    @model_validator(mode="after")
    def _layout_needs_range(self) -> NpzExtra:
        if self.value_range is not None and not self.value_range[0] < self.value_range[1]:
            raise ValueError(f"value_range is [lo, hi] with lo < hi, got {list(self.value_range)}")
        if self.layout is not None and self.value_range is None:
            raise ValueError("layout applies to image-like arrays, which need value_range")
        return self


class NpzSpec(SplitDataSpec):
    """Arrays from a ``.npz`` file: [N, D] vectors, [N, H, W] grey images, or [N, C, H, W] / [N, H, W, C].

    A 4-D array needs ``layout`` (channels_first or channels_last): ddpm-kit never guesses it from
    the shape. Stored values in [lo, hi] = ``value_range`` map linearly to [-1, 1]: 2 (x - lo) / (hi - lo) - 1;
    values outside the range or not finite are errors. Loaded with ``allow_pickle=False``.

    ``extra_keys`` serves more arrays of the file under batch keys of their own (low-resolution inputs or
    masks for concat conditioning, precomputed embeddings for cross-attention): ``{batch_key: array_name}``
    keeps the values as stored (float32), ``{batch_key: {array, value_range, layout}}`` maps image-like values
    to [-1, 1] with the sample array's rule ([N, H, W] gains a channel axis). Each must have one item per
    sample (checked from the headers at start-up, before anything is decoded) and finite values.
    """

    name: Literal["npz"] = "npz"
    path: str = Field(min_length=1, description=".npz file")
    key: Key = Field("image", description="name of the sample array inside the file")
    labels_key: Key | None = Field(None, description="name of a 1-D integer label array inside the file")
    layout: Literal["channels_first", "channels_last"] | None = Field(
        None, description="axis order of a 4-D array: [N, C, H, W] (channels_first) or [N, H, W, C] (channels_last)"
    )
    value_range: tuple[float, float] = Field(description="[lo, hi] of the stored values, mapped to [-1, 1]")
    extra_keys: dict[Key, NpzExtra] = Field(
        default_factory=dict, description="more arrays as batch keys: {batch_key: array} or "
                                          "{batch_key: {array, value_range, layout}}")
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.npz_impl:build_npz"

    @field_validator("value_range")
    @classmethod
    def _ordered_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not value[0] < value[1]:
            raise ValueError(f"value_range is [lo, hi] with lo < hi, got {list(value)}")
        return value

    @field_validator("extra_keys", mode="before")
    @classmethod
    def _array_names(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"array": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _different_arrays(self) -> NpzSpec:
        if self.labels_key is not None and self.labels_key == self.key:
            raise ValueError(f"key and labels_key both name the array {self.key!r}")
        taken = [k for k in self.extra_keys if k in (self.image_key, self.label_key)]
        if taken:
            raise ValueError(f"extra_keys {taken[0]!r} is already the image_key or label_key")
        return self

    def keys(self) -> tuple[str, ...]:
        return (*super().keys(), *self.extra_keys)

    def has_labels(self) -> bool:
        return self.labels_key is not None

    def item_layout(self) -> str | None:
        """Known only for 4-D arrays (``layout`` set); [N, D] vs [N, H, W] is decided by the file."""
        return CHANNELS_FIRST if self.layout is not None else None
