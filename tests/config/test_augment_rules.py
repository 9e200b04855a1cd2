"""``data.augment`` and ``image_size [H, W]`` in whole configs: what validation refuses, naming the fields."""

from __future__ import annotations

import copy

import pytest

from tests.config.helpers import error_paths, report_for, warning_paths
from tests.training.test_train import AUGMENT, digits_config


def _with(config: dict, augment: list, **unet) -> dict:
    config = copy.deepcopy(config)
    config["data"]["augment"] = augment
    config["model"]["unet_config"].update(unet)
    return config


def test_the_augmented_digits_config_is_valid_and_round_trips():
    report = report_for(digits_config(augment=AUGMENT))
    assert report.ok, [i.format() for i in report.issues]
    names = [spec.name for spec in report.config.data.augment]
    assert names == ["hflip", "random_resized_crop", "edm_augment"]
    again = report_for({**digits_config(augment=AUGMENT), "data": report.config.data.model_dump(mode="json")})
    assert again.ok and again.config.data == report.config.data


def test_edm_augment_needs_a_backbone_with_augment_dim():
    errors = error_paths(report_for(_with(digits_config(), [{"name": "edm_augment"}])))
    message = errors["model.unet_config.augment_dim"]
    assert "data.augment[0] (edm_augment, 9)" in message and "9 augmentation labels" in message


def test_a_mismatched_augment_dim_names_both_widths():
    errors = error_paths(report_for(_with(digits_config(), [{"name": "edm_augment", "translate_int": 1}],
                                          augment_dim=9)))
    message = errors["model.unet_config.augment_dim"]
    assert "is 9" in message and "give(s) 11" in message


def test_augment_dim_without_a_labelling_augmentation_is_a_warning():
    warnings = warning_paths(report_for(_with(digits_config(), [{"name": "hflip"}], augment_dim=4)))
    assert "map_augment" in warnings["model.unet_config.augment_dim"]


@pytest.mark.parametrize("entry,path,text", [
    ({"name": "hfilp"}, "data.augment[0]", "did you mean 'hflip'"),
    ({"name": "hflip", "p": 1.5}, "data.augment[0].p", "less than or equal to 1"),
    ({"name": "random_resized_crop", "scale": [0.9, 0.5]}, "data.augment[0]", "low 0.9 > high 0.5"),
    ({"name": "random_resized_crop", "ratio": [0, 1]}, "data.augment[0].ratio[0]", "greater than 0"),
    ({"name": "edm_augment", "xflip": 0, "yflip": 0, "scale": 0, "rotate_frac": 0, "aniso": 0, "translate_frac": 0},
     "data.augment[0]", "enable at least one transform"),
    ({"name": "hflip", "q": 1}, "data.augment[0].q", "unknown key"),
])
def test_bad_augmentation_entries_name_the_field(entry, path, text):
    errors = error_paths(report_for(_with(digits_config(), [entry])))
    assert text in errors[path], errors


def test_augmentations_need_image_data():
    config = {"model": {"unet_config": {"name": "mlp", "data_dim": 2}, "channels": 2, "image_size": 1,
                        "monitor": "train/loss"},
              "data": {"name": "toy2d", "augment": [{"name": "hflip"}]}, "trainer": {"max_steps": 2}}
    assert "images" in error_paths(report_for(config))["data.augment"]


def test_quarter_turns_need_square_images():
    config = _with(digits_config(), [{"name": "edm_augment", "rotate_int": 1}], augment_dim=11, image_size=[8, 16])
    config["model"]["image_size"] = [8, 16]
    errors = error_paths(report_for(config))
    assert "8x16" in errors["data.augment[0].rotate_int"], errors


def test_a_size_the_unet_cannot_downsample_names_both_numbers_and_the_level():
    config = digits_config()
    config["model"]["unet_config"].update(image_size=[24, 40], channel_mult=[1, 1, 1, 1, 1])
    errors = error_paths(report_for(config))
    message = errors["model.unet_config.image_size"]
    assert "24x40" in message and "level 4 of 5 downsamples by 16" in message and "H = 24 and W = 40" in message
    config = digits_config()
    config["model"].update(image_size=[24, 42])
    config["model"]["unet_config"].update(image_size=[24, 40], channel_mult=[1, 1, 1])
    messages = [i.message for i in report_for(config).errors if i.path == "model.image_size"]
    message = next(m for m in messages if "downsampled" in m)
    assert "24x42" in message and "W = 42" in message and "level 2 of 3 downsamples by 4" in message
