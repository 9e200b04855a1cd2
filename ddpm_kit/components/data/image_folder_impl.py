"""PNG/JPEG files under a folder as [C, H, W] uint8 pixels (the model converts them to [-1, 1],
``base_impl.to_model_range``): decoded once into a uint8 cache (``image_cache``, the default) or on every
access (``cache: false``).

Missing or empty folders and unreadable files raise ``DataSourceError`` naming the path; with
``check_files`` every header is opened while building, so a corrupt file stops the run at
start-up rather than in a DataLoader worker hours later.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor
from torch.utils.data import Dataset, Subset

from ddpm_kit.components.data.base import CHANNELS_FIRST
from ddpm_kit.components.data.base_impl import DataSourceError, DataSplits, split_indices
from ddpm_kit.components.data.image_cache_impl import cached_pixels
from ddpm_kit.components.data.image_folder import ImageFolderSpec
from ddpm_kit.registry.sizes import as_hw

EXTENSIONS = (".png", ".jpg", ".jpeg")
#: 8-bit PIL modes that convert to L/RGB without losing range (16-bit and float modes would be clipped)
EIGHT_BIT_MODES = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "La", "RGBa")
READ_ERRORS = (OSError, ValueError, SyntaxError, UnidentifiedImageError, Image.DecompressionBombError)


def _unreadable(path: Path, exc: BaseException) -> DataSourceError:
    return DataSourceError(
        f"image_folder: cannot read the image {path} ({type(exc).__name__}: {exc}). The file is corrupt, "
        f"truncated or not an image in a supported format; delete or replace it, or move it out of the folder."
    )


def find_images(root: Path, source: str = "image_folder", field: str = "data.path") -> list[Path]:
    """Every .png/.jpg/.jpeg file below ``root`` (case-insensitive extension), sorted; errors when there are none
    (naming the data ``source`` and the config ``field`` that gave ``root``)."""
    if not root.exists():
        raise DataSourceError(
            f"{source}: the folder {root} does not exist. Check {field} (relative paths are resolved "
            f"from the working directory {Path.cwd()})."
        )
    if not root.is_dir():
        raise DataSourceError(f"{source}: {root} is a file, not a folder; {field} must name a folder of images.")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS)
    if not files:
        others = sum(1 for p in root.rglob("*") if p.is_file())
        raise DataSourceError(
            f"{source}: no {'/'.join(EXTENSIONS)} files found under {root} ({others} other file(s) there). "
            f"Point {field} at the folder that holds the images (sub-folders are searched)."
        )
    return files


def class_names(root: Path, files: list[Path]) -> list[str]:
    """Sorted first-level sub-folder names that hold images; every image must be inside one."""
    loose = [f for f in files if f.parent == root]
    if loose:
        raise DataSourceError(
            f"image_folder: with labels: true every image must sit in a class sub-folder of {root}, but "
            f"{len(loose)} file(s) lie directly in it (first: {loose[0].name})."
        )
    return sorted({f.relative_to(root).parts[0] for f in files})


def check_header(path: Path) -> tuple[int, int]:
    """Open the header (cheap; no pixel decoding), check the mode is 8-bit; the image's (width, height)."""
    from ddpm_kit.files import input_file_problem

    problem = input_file_problem(path, "image")
    if problem:
        raise DataSourceError(f"image_folder: {path}: {problem}.")
    try:
        with Image.open(path) as image:
            mode, size = image.mode, image.size
    except READ_ERRORS as exc:
        raise _unreadable(path, exc) from exc
    if mode not in EIGHT_BIT_MODES:
        raise DataSourceError(
            f"image_folder: {path} has PIL mode {mode!r}; only 8-bit images are supported (convert it to 8-bit "
            f"grey or RGB), since converting 16-bit or float pixels would clip them."
        )
    return size


def resize_center_crop(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scaled (bicubic) by s = max(H / height, W / width), the smallest factor that covers H x W, then the
    central H x W box. For a square target this is "shorter side -> S, then the central square"."""
    out_h, out_w = size
    width, height = image.size
    scale = max(out_h / height, out_w / width)
    new_w, new_h = max(out_w, round(width * scale)), max(out_h, round(height * scale))
    if (new_w, new_h) != (width, height):
        image = image.resize((new_w, new_h), Image.Resampling.BICUBIC)
    left, top = (new_w - out_w) // 2, (new_h - out_h) // 2
    return image.crop((left, top, left + out_w, top + out_h))


def decode(path: Path, mode: str, size: tuple[int, int]) -> np.ndarray:
    """``path`` as [C, H, W] uint8 (resized, center-cropped, converted to ``mode``); errors name the file."""
    try:
        with Image.open(path) as image:
            if image.mode not in EIGHT_BIT_MODES:
                raise ValueError(f"PIL mode {image.mode!r} is not 8-bit")
            image = resize_center_crop(image.convert(mode), size)
            pixels = np.asarray(image, dtype=np.uint8)  # [H, W] or [H, W, 3]
    except READ_ERRORS as exc:
        raise _unreadable(path, exc) from exc
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]  # [H, W, 1]
    return np.ascontiguousarray(pixels.transpose(2, 0, 1))  # [C, H, W]


class ImageFolderDataset(Dataset):
    """Items ``{image_key: [C, H, W] uint8}`` (+ ``label_key`` int64), decoded on access or read from a decoded
    cache (``cache``: the ``.npy`` path, memory-mapped lazily in each worker). The pixels stay uint8 until the
    model's ``get_input`` (``to_model_range``), so a loader worker hands over a quarter of float32's bytes."""

    def __init__(
        self, spec: ImageFolderSpec, files: list[Path], labels: list[int] | None, classes: list[str] | None = None,
        cache: Path | None = None,
    ) -> None:
        self.files = files
        self.labels = labels
        self.classes = classes  # label i <-> sub-folder classes[i]
        self.image_key = spec.image_key
        self.label_key = spec.label_key
        self.size = as_hw(spec.image_size)
        self.mode = "L" if spec.channels == 1 else "RGB"
        self.cache = cache
        self._pixels: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.files)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_pixels": None}  # workers map the cache themselves, never pickle its pixels

    def cached(self) -> np.ndarray:
        """The decoded cache [N, C, H, W] uint8, memory-mapped on first use (in each worker)."""
        if self._pixels is None:
            self._pixels = np.load(self.cache, mmap_mode="r")
        return self._pixels

    def pixels(self, index: int) -> np.ndarray:
        if self.cache is None:
            return decode(self.files[index], self.mode, self.size)
        return self.cached()[index]

    def _item(self, index: int, image: Tensor) -> dict[str, Tensor]:
        item = {self.image_key: image}
        if self.labels is not None:
            item[self.label_key] = torch.tensor(self.labels[index], dtype=torch.int64)
        return item

    def __getitem__(self, index: int) -> dict[str, Tensor]:
        return self._item(index, torch.from_numpy(np.array(self.pixels(index))))  # a copy: the cache is read-only

    def __getitems__(self, indices: list[int]) -> list[dict[str, Tensor]]:
        """The items of a whole batch (the DataLoader's batched fetch, through ``Subset``): from the cache one
        gather for the batch (per-item reads were most of a cached item's cost; the values are the same),
        decoded item by item without it."""
        if self.cache is None:
            return [self[index] for index in indices]
        images = torch.from_numpy(self.cached()[list(indices)])  # [B, C, H, W] uint8, a copy (fancy indexing)
        return [self._item(index, image) for index, image in zip(indices, images)]


def build_image_folder(spec: ImageFolderSpec) -> DataSplits:
    root = Path(spec.path).expanduser()
    files = find_images(root)
    labels = names = None
    if spec.labels:
        names = class_names(root, files)
        index = {name: i for i, name in enumerate(names)}
        labels = [index[f.relative_to(root).parts[0]] for f in files]
    if spec.check_files:
        for path in files:
            check_header(path)
    cache = None
    if spec.cache:
        mode = "L" if spec.channels == 1 else "RGB"
        size = as_hw(spec.image_size)
        cache = cached_pixels(root, files, size, spec.channels,
                              Path(spec.cache_dir).expanduser() if spec.cache_dir else None,
                              lambda path: decode(path, mode, size))
    full = ImageFolderDataset(spec, files, labels, names, cache)
    train, val = split_indices(len(full), spec.val_fraction, spec.split_seed)
    return DataSplits(
        Subset(full, train.tolist()), None if val is None else Subset(full, val.tolist()), CHANNELS_FIRST
    )
