"""Data source specs: shapes, keys, layouts and field rules known before any file is read."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ddpm_kit.registry import DATA_SOURCES
from ddpm_kit.components.data.base import CHANNELS_FIRST, VECTOR
from ddpm_kit.components.data.digits import DIGITS_PER_CLASS, DigitsSpec
from ddpm_kit.components.data.image_folder import ImageFolderSpec
from ddpm_kit.components.data.npz import NpzSpec
from ddpm_kit.components.data.toy2d import Toy2dSpec


def test_registered_by_name():
    assert {"digits", "image_folder", "npz", "toy2d"} <= set(DATA_SOURCES.names())
    assert DATA_SOURCES.get("toy2d") is Toy2dSpec


@pytest.mark.parametrize("name", ["digits", "image_folder", "npz", "toy2d"])
def test_specs_are_documented(name):
    spec = DATA_SOURCES.get(name)
    assert spec.summary() and spec.impl.startswith("ddpm_kit.components.")
    undocumented = [f for f, info in spec.model_fields.items() if f != "name" and not info.description]
    assert undocumented == []

# --------------------------------------------------------------------------- digits
def test_digits_defaults():
    spec = DigitsSpec()
    assert spec.sample_shape() == (1, 8, 8)
    assert spec.keys() == ("image", "class_label")
    assert spec.item_layout() == CHANNELS_FIRST
    assert spec.num_classes() == 10
    assert spec.num_items() == sum(DIGITS_PER_CLASS) == 1797
    assert spec.batch_size == 128 and spec.val_fraction == 0.1


def test_digits_options():
    spec = DigitsSpec(image_size=32, classes=[0, 3], image_key="x", label_key="y", batch_size=4)
    assert spec.sample_shape() == (1, 32, 32)
    assert spec.keys() == ("x", "y")
    assert spec.classes == (0, 3)
    assert spec.num_items() == 178 + 183


@pytest.mark.parametrize("bad", [
    {"image_size": 0}, {"classes": []}, {"classes": [10]}, {"classes": [1, 1]}, {"val_fraction": 1.0},
    {"val_fraction": -0.1}, {"interpolation": "bicubic"}, {"image_key": ""}, {"image_key": "a b"},
    {"image_key": "k", "label_key": "k"}, {"split_seed": -1}, {"batch_size": 0}, {"resize": "nearest"},
    {"classes": [0], "val_fraction": 0.001},  # 178 * 0.001 rounds to 0 held out
])
def test_digits_rejects(bad):
    with pytest.raises(ValidationError):
        DigitsSpec(**bad)


# --------------------------------------------------------------------------- image_folder
def test_image_folder_shape_and_keys():
    spec = ImageFolderSpec(path="imgs", image_size=16, channels=1)
    assert spec.sample_shape() == (1, 16, 16)
    assert spec.keys() == ("image",)
    assert spec.num_classes() is None
    labelled = ImageFolderSpec(path="imgs", labels=True)
    assert labelled.sample_shape() == (3, 64, 64)
    assert labelled.keys() == ("image", "class_label")


@pytest.mark.parametrize("bad", [
    {}, {"path": ""}, {"path": "   "}, {"path": "a\x00b"}, {"path": "x", "channels": 2}, {"path": "x", "image_size": 0},
    {"path": "x", "extensions": [".png"]},
])
def test_image_folder_rejects(bad):
    with pytest.raises(ValidationError):
        ImageFolderSpec(**bad)


# --------------------------------------------------------------------------- npz
def test_npz_fields():
    spec = NpzSpec(path="d.npz", value_range=(0, 255), layout="channels_last", labels_key="y")
    assert spec.keys() == ("image", "class_label")
    assert spec.sample_shape() is None  # known only from the file
    assert spec.item_layout() == CHANNELS_FIRST
    assert NpzSpec(path="d.npz", value_range=(-1, 1)).item_layout() is None


@pytest.mark.parametrize("bad", [
    {"path": "d.npz"},  # value_range is required: no guessing
    {"path": "d.npz", "value_range": (1, 1)}, {"path": "d.npz", "value_range": (2, 1)},
    {"path": "d.npz", "value_range": (0, float("inf"))}, {"path": "d.npz", "value_range": (0, 1), "layout": "auto"},
    {"path": "", "value_range": (0, 1)}, {"path": "d.npz", "value_range": (0, 1), "labels_key": "image"},
    {"path": "d.npz", "value_range": (0, 1), "key": ""},
])
def test_npz_rejects(bad):
    with pytest.raises(ValidationError):
        NpzSpec(**bad)


# --------------------------------------------------------------------------- toy2d
def test_toy2d_fields():
    spec = Toy2dSpec()
    assert spec.sample_shape() == (2,)
    assert spec.item_layout() == VECTOR
    assert spec.keys() == ("image",)
    assert Toy2dSpec(labels=True).num_classes() == 2
    assert Toy2dSpec(dataset="gaussian_mixture", n_components=5, labels=True).num_classes() == 5
    assert Toy2dSpec(dataset="swiss_roll").num_classes() is None


@pytest.mark.parametrize("bad", [
    {"dataset": "circles"}, {"n_samples": 1}, {"noise": -0.1},
    {"dataset": "swiss_roll", "labels": True}, {"n_samples": 5, "val_fraction": 0.05}, {"seed": -1},
    {"dataset": "gaussian_mixture", "n_components": 0},
])
def test_toy2d_rejects(bad):
    with pytest.raises(ValidationError):
        Toy2dSpec(**bad)


def test_ignored_option_is_a_warning_not_an_error():
    warnings: list = []
    spec = Toy2dSpec.model_validate({"dataset": "moons", "n_components": 4}, context={"warnings": warnings})
    assert spec.n_components == 4
    assert warnings == [(("n_components",), "is ignored by dataset 'moons' (gaussian_mixture only)")]
