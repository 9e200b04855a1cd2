"""`paired_folder`: images and their condition images (masks, low-resolution inputs) in two folders, paired by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from ddpm_kit.components.data.base import IMPL_PACKAGE, ConditionImagesSpec


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


class PairedFolderSpec(ConditionImagesSpec):
    """Images under ``path`` and condition images under ``condition_path``, paired by relative path without
    the extension (``path/a/01.jpg`` pairs with ``condition_path/a/01.png``).

    Every image must have its condition and every condition its image: a name present in one folder only is
    an error listing the first few. Images are decoded as ``image_folder`` does (resized to cover
    ``image_size`` with PIL bicubic, center-cropped, grey or RGB, x / 127.5 - 1). Conditions are never
    resized (a resized mask would blur): each must already be ``condition_size`` (default ``image_size``),
    else an error names the file and both sizes; they are converted to ``condition_channels`` and scaled
    x / 127.5 - 1 like the images. Items are ``{image_key: [C, H, W], condition_key: [C_c, H_c, W_c]}``;
    with ``conditioning_key: concat`` the network's ``in_channels`` must be
    ``channels + condition_channels`` and ``condition_size`` the ``image_size`` (validation checks both). The
    decoded cache (``cache``) is the one of ``image_folder``: one uint8 ``.npy`` per folder, keyed by that
    folder's paired file list, sizes, mtimes and settings.
    """

    name: Literal["paired_folder"] = "paired_folder"
    path: str = Field(min_length=1, description="folder searched recursively for the .png/.jpg/.jpeg images")
    condition_path: str = Field(min_length=1, description="folder of the condition images, same relative names "
                                                          "as the images (any of .png/.jpg/.jpeg)")
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
        if Path(self.path).expanduser() == Path(self.condition_path).expanduser():
            raise ValueError("path and condition_path name the same folder; keep the conditions in their own folder")
        return self
