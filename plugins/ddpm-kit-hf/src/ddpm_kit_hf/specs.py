"""The `hf.dataset` data source spec (torch-free, datasets-free)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ddpm_kit.registry import report_warning
from ddpm_kit.components.data.base import ConditionImagesSpec

INSTALL_HINT = "pip install 'ddpm-kit-hf[datasets]' (or pip install datasets)"


def datasets_installed() -> bool:
    """Whether ``import datasets`` can find the package (the package is not imported)."""
    try:
        return importlib.util.find_spec("datasets") is not None
    except (ImportError, ValueError):
        return False


def _saved_fixture(tmp: Path) -> dict[str, Any]:
    """A tiny saved dataset (6 grey 8x8 images with labels) for the conformance checks."""
    from ddpm_kit_hf.fixtures import save_tiny_dataset

    # without datasets, building any example raises MissingDependency, which the checks report as SKIP
    folder = save_tiny_dataset(tmp / "tiny") if datasets_installed() else tmp / "tiny"
    return {"path": str(folder), "image_size": 8, "channels": 1,
            "label_column": "label", "val_fraction": 0.0}


class HFDatasetSpec(ConditionImagesSpec):
    """A Hugging Face ``datasets`` dataset read from local disk only: a folder written by ``save_to_disk``
    (``path``), or a dataset already in a local cache (``dataset`` with ``cache_dir``). Nothing is downloaded:
    the source runs with ``HF_DATASETS_OFFLINE=1`` / ``HF_HUB_OFFLINE=1``, and a dataset the cache lacks is an
    error.

    ``image_column`` holds images (a datasets ``Image`` feature, PIL images), decoded as ``image_folder``
    does: converted to grey (L) or RGB, resized to cover ``image_size`` (a side or [H, W]; PIL bicubic),
    center-cropped, x / 127.5 - 1. ``label_column`` (integers or a ``ClassLabel``) gives ``label_key``;
    ``condition_column`` (images, never resized: each must be ``condition_size``) gives ``condition_key``, for concat
    conditioning. A column the dataset lacks is an error listing the columns it has. ``split`` picks the
    split of a ``DatasetDict``.
    """

    name: Literal["hf.dataset"] = "hf.dataset"
    path: str | None = Field(None, min_length=1, description="folder written by Dataset(Dict).save_to_disk")
    dataset: str | None = Field(None, min_length=1, description="dataset name already in the local cache_dir "
                                                                "(never downloaded)")
    config_name: str | None = Field(None, min_length=1, description="configuration of `dataset`")
    cache_dir: str | None = Field(None, min_length=1, description="datasets cache folder of `dataset` "
                                                                  "(default: datasets' own, ~/.cache/huggingface)")
    split: str = Field("train", min_length=1, description="split of a DatasetDict")
    image_column: str = Field("image", min_length=1, description="column of the images")
    label_column: str | None = Field(None, min_length=1, description="column of integer class labels")
    condition_column: str | None = Field(None, min_length=1, description="column of condition images (masks)")
    impl: ClassVar[str] = "ddpm_kit_hf.source:build_hf_dataset"
    conformance_examples: ClassVar[tuple] = (_saved_fixture,)

    @field_validator("dataset")
    @classmethod
    def _local_name(cls, value: str | None) -> str | None:
        if value is not None and "://" in value:
            raise ValueError(f"{value!r} is a URL; hf.dataset reads local folders and caches only, never downloads")
        return value

    @model_validator(mode="after")
    def _one_source(self, info: ValidationInfo) -> HFDatasetSpec:
        if (self.path is None) == (self.dataset is None):
            raise ValueError("give exactly one of path (a save_to_disk folder) or dataset (a name in cache_dir)")
        if self.path is not None and (self.config_name or self.cache_dir):
            raise ValueError("config_name and cache_dir belong to `dataset`; a save_to_disk folder needs only path")
        if not datasets_installed():
            report_warning(info, (), f"the datasets package is not installed; building this source will fail: "
                                     f"{INSTALL_HINT}")
        return self

    def has_labels(self) -> bool:
        return self.label_column is not None

    def has_conditions(self) -> bool:
        return self.condition_column is not None
