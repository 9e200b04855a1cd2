"""`paired_folder`: images and their condition images (masks, low-resolution inputs) in two folders, paired by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from ddpm_kit.components.data.base import IMPL_PACKAGE, Key, SplitDataSpec


def _paired_fixture(tmp: Path) -> dict[str, Any]:
    """A tiny paired folder for the conformance checks: 6 grey 8x8 images and 8x8 masks."""
    from PIL import Image

    for folder in ("images", "masks"):
        (tmp / folder).mkdir(parents=True, exist_ok=True)
    for index in range(6):
        Image.new("L", (8, 8), color=30 * index).save(tmp / "images" / f"{index}.png")
        Image.new("L", (8, 8), color=255 * (index % 2)).save(tmp / "masks" / f"{index}.png")
    return {"path": str(tmp / "images"), "condition_path": str(tmp / "masks"), "image_size": 8, "channels": 1,
            "condition_channels": 1, "val_fraction": 0.0}


class PairedFolderSpec(SplitDataSpec):
    """Images under ``path`` and condition images under ``condition_path``, paired by relative path without
    the extension (``path/a/01.jpg`` pairs with ``condition_path/a/01.png``).

    Every image must have its condition and every condition its image: a name present in one folder only is
    an error listing the first few. Images are decoded as ``image_folder`` does (shorter side resized to
    ``image_size`` with PIL bicubic, center-cropped, grey or RGB, x / 127.5 - 1). Conditions are never
    resized (a resized mask would blur): each must already be ``condition_size`` x ``condition_size``
    (default ``image_size``), else an error names the file and both sizes; they are converted to
    ``condition_channels`` and scaled x / 127.5 - 1 like the images. Items are ``{image_key: [C, S, S],
    condition_key: [C_c, S_c, S_c]}``; with ``conditioning_key: concat`` the network's ``in_channels`` must be
    ``channels + condition_channels`` and ``condition_size`` the ``image_size`` (validation checks both). The
    decoded cache (``cache``) is the one of ``image_folder``: one uint8 ``.npy`` per folder, keyed by that
    folder's paired file list, sizes, mtimes and settings.
    """

    name: Literal["paired_folder"] = "paired_folder"
    path: str = Field(min_length=1, description="folder searched recursively for the .png/.jpg/.jpeg images")
    condition_path: str = Field(min_length=1, description="folder of the condition images, same relative names "
                                                          "as the images (any of .png/.jpg/.jpeg)")
    condition_key: Key = Field("condition", description="batch key of the conditions (model.condition_keys.concat)")
    image_size: int = Field(64, ge=1, le=16384, description="side of the square images")
    channels: Literal[1, 3] = Field(3, description="images: 1 = grey, 3 = RGB")
    condition_size: int | None = Field(None, ge=1, le=16384, description="side every condition image must have "
                                                                         "(default: image_size); never resized")
    condition_channels: Literal[1, 3] = Field(1, description="conditions: 1 = grey (masks), 3 = RGB")
    check_files: bool = Field(True, description="open every file's header at start-up (sizes of the conditions)")
    cache: bool = Field(True, description="decode every file once into uint8 .npy caches (false: decode on access)")
    cache_dir: str | None = Field(None, min_length=1, description="folder of the decoded caches (default: "
                                                                  "$XDG_CACHE_HOME/ddpm-kit/image_folder)")
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.paired_folder_impl:build_paired_folder"
    conformance_examples: ClassVar[tuple] = (_paired_fixture,)

    @field_validator("path", "condition_path")
    @classmethod
    def _printable_path(cls, value: str) -> str:
        if "\x00" in value or not value.strip():
            raise ValueError("must be a non-blank folder path")
        return value

    @model_validator(mode="after")
    def _distinct(self) -> PairedFolderSpec:
        if self.condition_key in (self.image_key, self.label_key):
            raise ValueError(f"condition_key {self.condition_key!r} is also the image or label key")
        if Path(self.path).expanduser() == Path(self.condition_path).expanduser():
            raise ValueError("path and condition_path name the same folder; keep the conditions in their own folder")
        return self

    def side_of_conditions(self) -> int:
        return self.image_size if self.condition_size is None else self.condition_size

    def sample_shape(self) -> tuple[int, ...] | None:
        return (self.channels, self.image_size, self.image_size)

    def keys(self) -> tuple[str, ...]:
        return (self.image_key, self.condition_key)

    def key_shapes(self) -> dict[str, tuple[int, ...]]:
        side = self.side_of_conditions()
        return {**super().key_shapes(), self.condition_key: (self.condition_channels, side, side)}
