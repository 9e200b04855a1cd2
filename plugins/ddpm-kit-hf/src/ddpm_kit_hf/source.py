"""The `hf.dataset` implementation: a local Hugging Face dataset as ``DataSplits`` of image (and label,
condition) items. ``datasets`` is imported here, in offline mode, never when a config is validated."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset, Subset

from ddpm_kit.components.data.base_impl import DataSourceError, DataSplits, split_indices
from ddpm_kit.components.data.image_cache_impl import writable_dir
from ddpm_kit.components.data.image_folder_impl import EIGHT_BIT_MODES, resize_center_crop
from ddpm_kit.registry import MissingDependency
from ddpm_kit.registry.sizes import as_hw
from ddpm_kit.components.data.base import CHANNELS_FIRST
from ddpm_kit_hf.specs import INSTALL_HINT, HFDatasetSpec

SOURCE = "hf.dataset"
OFFLINE = {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}


def import_datasets() -> Any:
    """``datasets`` in offline mode (nothing is downloaded), or MissingDependency naming the package."""
    os.environ.update(OFFLINE)  # read by datasets and huggingface_hub when first imported
    try:
        module = importlib.import_module("datasets")
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "datasets":
            raise
        raise MissingDependency(f"data source 'hf.dataset' (distribution ddpm-kit-hf) needs the 'datasets' package, "
                                f"which is not installed: {INSTALL_HINT}") from exc
    module.config.HF_DATASETS_OFFLINE = True  # when it was imported before the variables were set
    hub = importlib.import_module("huggingface_hub.constants")
    hub.HF_HUB_OFFLINE = True
    return module


def load_saved(datasets: Any, spec: HFDatasetSpec) -> Any:
    folder = Path(spec.path).expanduser()
    if not folder.is_dir():
        raise DataSourceError(f"{SOURCE}: {folder} is not a folder written by save_to_disk (it does not exist or is "
                              "a file). Check data.path.")
    try:
        return datasets.load_from_disk(str(folder))
    except (FileNotFoundError, ValueError, OSError) as exc:
        raise DataSourceError(f"{SOURCE}: cannot load {folder} with datasets.load_from_disk ({type(exc).__name__}: "
                              f"{exc}). data.path must be a folder written by Dataset.save_to_disk.") from None


def load_cached(datasets: Any, spec: HFDatasetSpec) -> Any:
    """``load_dataset`` from the local cache only; a dataset not there is an error (it is never downloaded)."""
    cache_dir = None
    if spec.cache_dir:
        cache_dir = writable_dir(Path(spec.cache_dir).expanduser(), SOURCE,
                                 "since datasets keeps lock files beside its cached data")
    try:
        return datasets.load_dataset(spec.dataset, spec.config_name, split=spec.split, cache_dir=cache_dir and
                                     str(cache_dir))
    except Exception as exc:  # datasets raises ConnectionError, FileNotFoundError, DatasetNotFoundError, ...
        raise DataSourceError(f"{SOURCE}: the dataset {spec.dataset!r} is not in the local cache "
                              f"{cache_dir or 'of datasets (~/.cache/huggingface/datasets)'} ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0] if str(exc) else ''}); ddpm-kit never downloads. Save it "
                              "with save_to_disk and set data.path, or point data.cache_dir at the cache that holds "
                              "it.") from None


def pick_split(datasets: Any, loaded: Any, spec: HFDatasetSpec) -> Any:
    if isinstance(loaded, datasets.DatasetDict):
        if spec.split not in loaded:
            raise DataSourceError(f"{SOURCE}: the dataset has no split {spec.split!r}; it has {sorted(loaded)}. "
                                  "Set data.split.")
        return loaded[spec.split]
    return loaded


def check_columns(dataset: Any, spec: HFDatasetSpec) -> None:
    columns = list(dataset.column_names)
    named = [("image_column", spec.image_column), ("label_column", spec.label_column),
             ("condition_column", spec.condition_column)]
    for field, column in named:
        if column is not None and column not in columns:
            raise DataSourceError(f"{SOURCE}: the dataset has no column {column!r} (data.{field}); its columns are "
                                  f"{columns}.")
    if len(dataset) == 0:
        raise DataSourceError(f"{SOURCE}: the dataset (split {spec.split!r}) has no rows.")


def to_pixels(value: Any, mode: str, size: tuple[int, int], where: str, resize: bool) -> np.ndarray:
    """One image cell as [C, H, W] uint8 for ``size`` (H, W) (image_folder's rule; a condition must already have
    that size)."""
    if not isinstance(value, Image.Image):
        raise DataSourceError(f"{SOURCE}: {where} holds a {type(value).__name__}, not an image; image columns must "
                              "be a datasets Image feature.")
    if value.mode not in EIGHT_BIT_MODES:
        raise DataSourceError(f"{SOURCE}: {where} has PIL mode {value.mode!r}; only 8-bit images are supported.")
    height, width = size
    if not resize and value.size != (width, height):
        raise DataSourceError(f"{SOURCE}: {where} is {value.size[0]}x{value.size[1]} pixels, but "
                              f"data.condition_size is {width}x{height}; conditions are never resized.")
    image = resize_center_crop(value.convert(mode), (height, width))
    pixels = np.asarray(image, dtype=np.uint8)
    pixels = pixels[:, :, None] if pixels.ndim == 2 else pixels
    return np.ascontiguousarray(pixels.transpose(2, 0, 1))


class HFItems(Dataset):
    """Items of a datasets ``Dataset``, decoded on access: ``{image_key, [label_key], [condition_key]}``, images and
    conditions as uint8 pixels [C, H, W] (the model converts them, ``base_impl.to_model_range``)."""

    def __init__(self, dataset: Any, spec: HFDatasetSpec) -> None:
        self.dataset, self.spec = dataset, spec

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> dict[str, Tensor]:
        spec, row = self.spec, self.dataset[int(index)]
        where = f"row {index}, column {{!r}}"
        item = {spec.image_key: torch.tensor(to_pixels(row[spec.image_column], "L" if spec.channels == 1 else "RGB",
                                                       as_hw(spec.image_size), where.format(spec.image_column), True))}
        if spec.label_column is not None:
            label = row[spec.label_column]
            if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or label < 0:
                raise DataSourceError(f"{SOURCE}: {where.format(spec.label_column)} holds {label!r}; class labels "
                                      "are integers >= 0.")
            item[spec.label_key] = torch.tensor(int(label), dtype=torch.int64)
        if spec.condition_column is not None:
            mode = "L" if spec.condition_channels == 1 else "RGB"
            item[spec.condition_key] = torch.tensor(to_pixels(row[spec.condition_column], mode, spec.condition_hw(),
                                                              where.format(spec.condition_column), False))
        return item


def build_hf_dataset(spec: HFDatasetSpec) -> DataSplits:
    datasets = import_datasets()
    loaded = load_saved(datasets, spec) if spec.path is not None else load_cached(datasets, spec)
    dataset = pick_split(datasets, loaded, spec)
    check_columns(dataset, spec)
    full = HFItems(dataset, spec)
    full[0]  # the first row decodes (types, sizes) before training starts
    train, val = split_indices(len(full), spec.val_fraction, spec.split_seed)
    return DataSplits(Subset(full, train.tolist()), None if val is None else Subset(full, val.tolist()),
                      CHANNELS_FIRST)
