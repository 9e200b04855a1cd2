"""Images and their conditions from two folders, paired by relative name; decoded (and cached) as ``image_folder``.

Pairing, size and cache errors raise ``DataSourceError`` naming the files and folders, at start-up: the file
lists are compared before anything is decoded, and (with ``check_files``, or while a cache is built) every
condition's size is checked before training starts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset, Subset

from ddpm_kit.components.data.base import CHANNELS_FIRST
from ddpm_kit.components.data.base_impl import DataSourceError, DataSplits, split_indices
from ddpm_kit.components.data.image_cache_impl import cached_pixels
from ddpm_kit.components.data.image_folder import ImageFolderSpec
from ddpm_kit.components.data.image_folder_impl import (
    READ_ERRORS,
    ImageFolderDataset,
    check_header,
    decode,
    find_images,
)
from ddpm_kit.components.data.paired_folder import PairedFolderSpec
from ddpm_kit.registry.sizes import as_hw

SOURCE = "paired_folder"
#: how many unpaired names an error lists
SHOWN = 5


def _stems(root: Path, files: list[Path]) -> dict[str, Path]:
    """Relative path without the extension -> file; two files of one name (a.png, a.jpg) are an error."""
    out: dict[str, Path] = {}
    for path in files:
        stem = path.relative_to(root).with_suffix("").as_posix()
        if stem in out:
            raise DataSourceError(f"{SOURCE}: {out[stem]} and {path} have the same name {stem!r}; keep one, so each "
                                  "image pairs with exactly one condition.")
        out[stem] = path
    return out


def _listing(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def pair_files(image_root: Path, condition_root: Path) -> tuple[list[Path], list[Path]]:
    """(images, conditions), equally long and in the images' sorted order; every name must be in both folders."""
    images = _stems(image_root, find_images(image_root, SOURCE, "data.path"))
    conditions = _stems(condition_root, find_images(condition_root, SOURCE, "data.condition_path"))
    no_condition = sorted(set(images) - set(conditions))
    no_image = sorted(set(conditions) - set(images))
    if no_condition or no_image:
        parts = []
        if no_condition:
            parts.append(f"{len(no_condition)} image(s) under {image_root} have no condition under {condition_root} "
                         f"({_listing(no_condition)})")
        if no_image:
            parts.append(f"{len(no_image)} condition(s) under {condition_root} have no image under {image_root} "
                         f"({_listing(no_image)})")
        raise DataSourceError(f"{SOURCE}: mismatched pairs: {'; '.join(parts)}. Images and conditions pair by "
                              "relative path without the extension; add or remove the files so both folders hold "
                              "the same names.")
    names = sorted(images)
    return [images[n] for n in names], [conditions[n] for n in names]


def size_problem(path: Path, size: tuple[int, int], side: int | tuple[int, int]) -> DataSourceError:
    """``size``: PIL's (width, height) of the file; ``side``: the condition size, S or (H, W)."""
    height, width = as_hw(side)
    return DataSourceError(
        f"{SOURCE}: the condition {path} is {size[0]}x{size[1]} pixels, but data.condition_size is {width}x{height}. "
        f"Conditions are never resized (a resized mask blurs): write them at {width}x{height}, or set "
        f"data.condition_size to their size."
    )


def decode_condition(path: Path, mode: str, side: int | tuple[int, int]) -> np.ndarray:
    """``path`` as [C, H, W] uint8; an image of another size is an error naming the file and both sizes."""
    height, width = as_hw(side)
    try:
        with Image.open(path) as image:
            size = image.size
    except READ_ERRORS:
        size = (width, height)  # decode reports the unreadable file
    if size != (width, height):
        raise size_problem(path, size, side)
    return decode(path, mode, (height, width))  # resize_center_crop is the identity at this size


class ConditionDataset(ImageFolderDataset):
    """``ImageFolderDataset`` of the conditions: decoded without resizing (the size checked per file)."""

    def pixels(self, index: int) -> np.ndarray:
        if self.cache is None:
            return decode_condition(self.files[index], self.mode, self.size)
        return super().pixels(index)


class PairedDataset(Dataset):
    """Items ``{image_key: [C, H, W], condition_key: [C_c, H_c, W_c]}`` uint8 pixels (the model converts both,
    ``base_impl.to_model_range``)."""

    def __init__(self, images: ImageFolderDataset, conditions: ConditionDataset) -> None:
        self.images, self.conditions = images, conditions

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict[str, Tensor]:
        return {**self.images[index], **self.conditions[index]}


def side_specs(spec: PairedFolderSpec) -> tuple[ImageFolderSpec, ImageFolderSpec]:
    """The two folders as ``image_folder`` specs (their keys, sizes and channels), for decoding and caching."""
    shared = {"val_fraction": 0.0, "check_files": spec.check_files, "cache": spec.cache, "cache_dir": spec.cache_dir}
    images = ImageFolderSpec(path=spec.path, image_size=spec.image_size, channels=spec.channels,
                             image_key=spec.image_key, **shared)
    conditions = ImageFolderSpec(path=spec.condition_path, image_size=spec.condition_hw(),
                                 channels=spec.condition_channels, image_key=spec.condition_key, **shared)
    return images, conditions


def _cache(spec: ImageFolderSpec, root: Path, files: list[Path],
           decoder: Callable[[Path, str, tuple[int, int]], np.ndarray]) -> Path | None:
    """The decoded cache of one folder's paired files (None with ``cache: false``)."""
    if not spec.cache:
        return None
    mode = "L" if spec.channels == 1 else "RGB"
    size = as_hw(spec.image_size)
    return cached_pixels(root, files, size, spec.channels,
                         Path(spec.cache_dir).expanduser() if spec.cache_dir else None,
                         lambda path: decoder(path, mode, size), SOURCE)


def build_paired_folder(spec: PairedFolderSpec) -> DataSplits:
    image_root, condition_root = Path(spec.path).expanduser(), Path(spec.condition_path).expanduser()
    image_files, condition_files = pair_files(image_root, condition_root)
    side = spec.condition_hw()
    if spec.check_files:
        for path in image_files:
            check_header(path)
        for path in condition_files:
            size = check_header(path)
            if size != as_hw(side)[::-1]:
                raise size_problem(path, size, side)
    image_spec, condition_spec = side_specs(spec)
    condition_cache = _cache(condition_spec, condition_root, condition_files, decode_condition)  # sizes first
    image_cache = _cache(image_spec, image_root, image_files, decode)
    full = PairedDataset(ImageFolderDataset(image_spec, image_files, None, None, image_cache),
                         ConditionDataset(condition_spec, condition_files, None, None, condition_cache))
    train, val = split_indices(len(full), spec.val_fraction, spec.split_seed)
    return DataSplits(
        Subset(full, train.tolist()), None if val is None else Subset(full, val.tolist()), CHANNELS_FIRST
    )
