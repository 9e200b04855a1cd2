"""hf.dataset: items from a saved dataset, offline only, and clear errors for missing columns, splits, caches."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch
from pydantic import ValidationError

from ddpm_kit.components.data.base_impl import DataSourceError
from ddpm_kit.registry import PluginError
from ddpm_kit.testing.conformance import check_component
from ddpm_kit.testing.conformance.isolation import heavy_imports
from ddpm_kit_hf.specs import HFDatasetSpec

datasets = pytest.importorskip("datasets", reason="the optional 'datasets' package is not installed")

from ddpm_kit_hf.fixtures import save_tiny_dataset  # noqa: E402


def build(**fields):
    spec = HFDatasetSpec(**{"image_size": 8, "channels": 1, "val_fraction": 0.0, **fields})
    return spec.load_impl()(spec)


def test_spec_module_imports_neither_torch_nor_datasets():
    assert heavy_imports(["ddpm_kit_hf.specs"]) == {"ddpm_kit_hf.specs": []}


def test_items_hold_images_labels_and_conditions(tmp_path: Path):
    folder = save_tiny_dataset(tmp_path / "ds", count=6, size=10, mask_size=8)
    splits = build(path=str(folder), label_column="label", condition_column="mask")
    assert len(splits.train) == 6 and splits.layout == "channels_first"
    item = splits.train[4]
    assert set(item) == {"image", "class_label", "condition"}
    assert item["image"].shape == (1, 8, 8) and item["image"].dtype == torch.uint8  # pixels, converted by the model
    assert torch.equal(item["image"], torch.full((1, 8, 8), 120, dtype=torch.uint8))  # shade 30 * 4, resized 10 -> 8
    assert int(item["class_label"]) == 4 % 3
    assert torch.equal(item["condition"], torch.zeros(1, 8, 8, dtype=torch.uint8))  # mask 255 * (4 % 2) = 0
    assert torch.equal(splits.train[5]["condition"], torch.full((1, 8, 8), 255, dtype=torch.uint8))


def test_a_dataset_dict_split_is_chosen_and_a_missing_one_listed(tmp_path: Path):
    image = datasets.Image()
    from PIL import Image

    rows = {"image": [Image.new("L", (8, 8), 10 * i) for i in range(4)]}
    part = datasets.Dataset.from_dict(rows, features=datasets.Features({"image": image}))
    datasets.DatasetDict({"train": part, "test": part.select([0])}).save_to_disk(str(tmp_path / "dd"))
    assert len(build(path=str(tmp_path / "dd"), split="test").train) == 1
    with pytest.raises(DataSourceError, match=r"no split 'valid'; it has \['test', 'train'\]. Set data.split"):
        build(path=str(tmp_path / "dd"), split="valid")


@pytest.mark.parametrize("field", ["image_column", "label_column", "condition_column"])
def test_a_missing_column_is_an_error_listing_the_columns(tmp_path: Path, field: str):
    folder = save_tiny_dataset(tmp_path / "ds")
    with pytest.raises(DataSourceError, match=rf"no column 'pixels' \(data.{field}\); its columns are "
                                              r"\['image', 'label'\]"):
        build(path=str(folder), **{field: "pixels"})


def test_a_condition_of_another_size_names_the_row_and_both_sizes(tmp_path: Path):
    folder = save_tiny_dataset(tmp_path / "ds", mask_size=6)
    with pytest.raises(DataSourceError, match=r"row 0, column 'mask' is 6x6 pixels, but data.condition_size is 8x8"):
        build(path=str(folder), condition_column="mask")


def test_a_folder_that_is_not_a_saved_dataset_is_an_error_naming_it(tmp_path: Path):
    (tmp_path / "plain").mkdir()
    with pytest.raises(DataSourceError, match=r"cannot load .*plain.*save_to_disk"):
        build(path=str(tmp_path / "plain"))
    with pytest.raises(DataSourceError, match=r"missing.* is not a folder written by save_to_disk"):
        build(path=str(tmp_path / "missing"))


def test_a_name_not_in_the_cache_is_never_downloaded(tmp_path: Path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    import socket

    monkeypatch.setattr(socket.socket, "connect", no_network)
    with pytest.raises(DataSourceError, match=r"'acme/digits' is not in the local cache .*never downloads"):
        build(dataset="acme/digits", cache_dir=str(tmp_path / "cache"))
    assert os.environ["HF_DATASETS_OFFLINE"] == "1" and os.environ["HF_HUB_OFFLINE"] == "1"


def test_a_cache_folder_that_is_not_writable_is_an_error_naming_it(tmp_path: Path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataSourceError, match=r"hf.dataset: the cache folder .*file is not writable"):
        build(dataset="acme/digits", cache_dir=str(tmp_path / "file"))
    assert (tmp_path / "file").read_text() == "x"


def test_urls_and_two_sources_are_refused_by_the_spec():
    with pytest.raises(ValidationError, match="is a URL"):
        HFDatasetSpec(dataset="https://example.org/data")
    with pytest.raises(ValidationError, match="exactly one of path"):
        HFDatasetSpec(path="a", dataset="b")
    with pytest.raises(ValidationError, match="exactly one of path"):
        HFDatasetSpec()


def test_missing_datasets_is_a_warning_at_validation_and_an_error_naming_it_at_build(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "datasets", None)  # `import datasets` now fails as if not installed
    monkeypatch.setattr("ddpm_kit_hf.specs.datasets_installed", lambda: False)
    found: list = []
    spec = HFDatasetSpec.model_validate({"path": str(tmp_path)}, context={"warnings": found})
    assert found and "the datasets package is not installed" in found[0][1]
    with pytest.raises(PluginError, match=r"'hf.dataset' .*ddpm-kit-hf.* needs the 'datasets' package, which is not "
                                          r"installed: pip install 'ddpm-kit-hf\[datasets\]'"):
        spec.load_impl()(spec)


def test_conforms():
    assert check_component("data", "hf.dataset") == []


def test_non_square_image_size_is_height_by_width(tmp_path: Path):
    folder = save_tiny_dataset(tmp_path / "ds", count=4, size=10, mask_size=8)
    spec = HFDatasetSpec(path=str(folder), image_size=[6, 10], channels=1, condition_column="mask",
                         condition_size=[8, 8], val_fraction=0.0)
    assert spec.key_shapes() == {"image": (1, 6, 10), "condition": (1, 8, 8)}
    item = spec.load_impl()(spec).train[3]
    assert item["image"].shape == (1, 6, 10) and item["condition"].shape == (1, 8, 8)
    wrong = HFDatasetSpec(path=str(folder), image_size=8, channels=1, condition_column="mask",
                          condition_size=[8, 6], val_fraction=0.0)
    with pytest.raises(DataSourceError, match=r"is 8x8 pixels, but data.condition_size is 6x8"):
        wrong.load_impl()(wrong).train[0]
