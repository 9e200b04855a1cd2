"""Data source specs (torch-free): what a source yields, known before any file is read.

Every source yields items ``{image_key: Tensor, label_key: int64 scalar (when labelled)}``.
Images are channels-first ``[C, H, W]`` float32 in [-1, 1] (layout ``channels_first``); point
sets are ``[D]`` float32 vectors (layout ``vector``). The layout is declared by the source and
never guessed from a shape. A deterministic share ``val_fraction`` of the items (a permutation
seeded by ``split_seed``) forms the validation set; 0 means no validation set.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import ValidationInfo, Field, field_validator, model_validator

from ddpm_kit.registry import report_warning, DataSpec

IMPL_PACKAGE = "ddpm_kit.components.data"

#: item layouts a source can declare
CHANNELS_FIRST = "channels_first"
VECTOR = "vector"
LAYOUTS = (CHANNELS_FIRST, VECTOR)

#: number of images per digit 0..9 in scikit-learn's bundled digits (1,797 in all)
DIGITS_PER_CLASS = (178, 182, 177, 183, 181, 182, 181, 179, 174, 180)

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

    @model_validator(mode="after")
    def _distinct_keys(self) -> SplitDataSpec:
        if self.has_labels() and self.image_key == self.label_key:
            raise ValueError(f"image_key and label_key are both {self.image_key!r}")
        return self


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
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.digits:build_digits"

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


class ImageFolderSpec(SplitDataSpec):
    """PNG/JPEG files under a folder (recursive), resized and center-cropped to image_size x image_size.

    Shorter side resized to image_size (PIL bicubic), then center-cropped; converted to grey (L) or
    RGB (alpha dropped); x / 127.5 - 1. With ``labels`` the class of a file is its first-level
    sub-folder (sorted names -> 0, 1, ...). ``check_files`` opens every file's header at start-up, so
    unreadable files are reported before training.
    """

    name: Literal["image_folder"] = "image_folder"
    path: str = Field(min_length=1, description="folder searched recursively for .png/.jpg/.jpeg files")
    image_size: int = Field(64, ge=1, le=16384, description="side of the square images")
    channels: Literal[1, 3] = Field(3, description="1 = grey, 3 = RGB")
    labels: bool = Field(False, description="class labels from first-level sub-folder names")
    check_files: bool = Field(True, description="open every file's header at start-up (off for very large folders)")
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.image_folder:build_image_folder"

    @field_validator("path")
    @classmethod
    def _printable_path(cls, value: str) -> str:
        if "\x00" in value or not value.strip():
            raise ValueError("path must be a non-blank folder path")
        return value

    def sample_shape(self) -> tuple[int, ...] | None:
        return (self.channels, self.image_size, self.image_size)

    def has_labels(self) -> bool:
        return self.labels


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


class Toy2dSpec(SplitDataSpec):
    """2-D point sets from scikit-learn: moons, swiss_roll (x and z coordinates), gaussian_mixture.

    gaussian_mixture: ``n_components`` equal-weight Gaussians of std ``noise`` centred on the unit
    circle (``make_blobs``). ``noise`` is in each generator's own units (moons: radius 1; swiss roll:
    radius up to ~14). The points are then centred and divided by their overall standard deviation
    (one scalar, aspect kept), so they have roughly unit scale (not clipped to [-1, 1]). Deterministic
    given ``seed``. Labels (moons: which moon; gaussian_mixture: the component) on request.
    """

    name: Literal["toy2d"] = "toy2d"
    dataset: Literal["moons", "swiss_roll", "gaussian_mixture"] = Field("moons", description="point set")
    n_samples: int = Field(10_000, ge=2, le=10_000_000, description="points generated (train + validation)")
    noise: float = Field(0.05, ge=0.0, le=100.0, description="std of the Gaussian noise, in the generator's units")
    n_components: int = Field(8, ge=1, le=1000, description="gaussian_mixture only: number of components")
    seed: int = Field(0, ge=0, lt=2**32, description="generator seed")
    labels: bool = Field(False, description="yield class labels (moons, gaussian_mixture)")
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.toy2d:build_toy2d"

    @model_validator(mode="after")
    def _dataset_options(self, info: ValidationInfo) -> Toy2dSpec:
        default = type(self).model_fields["n_components"].default
        if self.dataset != "gaussian_mixture" and self.n_components != default:
            report_warning(info, ("n_components",), f"is ignored by dataset {self.dataset!r} (gaussian_mixture only)")
        if self.labels and self.dataset == "swiss_roll":
            raise ValueError("swiss_roll has no classes; set labels: false")
        held_out = round(self.n_samples * self.val_fraction)
        if self.val_fraction > 0 and not 1 <= held_out < self.n_samples:
            raise ValueError(f"val_fraction {self.val_fraction} of {self.n_samples} points leaves an empty split")
        return self

    def item_layout(self) -> str | None:
        return VECTOR

    def sample_shape(self) -> tuple[int, ...] | None:
        return (2,)

    def has_labels(self) -> bool:
        return self.labels

    def num_classes(self) -> int | None:
        if not self.labels:
            return None
        return 2 if self.dataset == "moons" else self.n_components
