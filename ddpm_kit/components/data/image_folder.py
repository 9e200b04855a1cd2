"""`image_folder`: PNG/JPEG files under a folder, resized and center-cropped."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator

from ddpm_kit.components.data.base import IMPL_PACKAGE, SplitDataSpec
from ddpm_kit.registry.sizes import ImageSize, as_hw


class ImageFolderSpec(SplitDataSpec):
    """PNG/JPEG files under a folder (recursive), resized and center-cropped to image_size (S x S, or H x W).

    Resized (PIL bicubic) by the smallest factor that makes it cover H x W, then center-cropped; converted to
    grey (L) or RGB (alpha dropped); x / 127.5 - 1. With ``labels`` the class of a file is its first-level
    sub-folder (sorted names -> 0, 1, ...). ``check_files`` opens every file's header at start-up, so
    unreadable files are reported before training. With ``cache`` (default) the folder is decoded once
    into a uint8 ``.npy`` in ``cache_dir``, keyed by the file list, sizes, mtimes and these settings (a
    changed folder is decoded again), and served memory-mapped.
    """

    name: Literal["image_folder"] = "image_folder"
    path: str = Field(min_length=1, description="folder searched recursively for .png/.jpg/.jpeg files")
    image_size: ImageSize = Field(64, description="side of the square images, or [H, W]")
    channels: Literal[1, 3] = Field(3, description="1 = grey, 3 = RGB")
    labels: bool = Field(False, description="class labels from first-level sub-folder names")
    check_files: bool = Field(True, description="open every file's header at start-up (off for very large folders)")
    cache: bool = Field(True, description="decode, resize and crop every file once into a uint8 .npy cache, "
                                          "then read from it (false: decode on every access)")
    cache_dir: str | None = Field(None, min_length=1, description="folder of the decoded caches (default: "
                                                                  "$XDG_CACHE_HOME/ddpm-kit/image_folder)")
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.image_folder_impl:build_image_folder"

    @field_validator("path")
    @classmethod
    def _printable_path(cls, value: str) -> str:
        if "\x00" in value or not value.strip():
            raise ValueError("path must be a non-blank folder path")
        return value

    def sample_shape(self) -> tuple[int, ...] | None:
        return (self.channels, *as_hw(self.image_size))

    def has_labels(self) -> bool:
        return self.labels
