"""Concat conditioning against a source's declared condition shape: in_channels and spatial size."""

from __future__ import annotations

from tests.config.helpers import error_paths, report_for


def superres(in_channels: int = 2, **data) -> dict:
    return {
        "model": {
            "unet_config": {"name": "unet", "image_size": 8, "in_channels": in_channels, "out_channels": 1,
                            "model_channels": 32, "num_res_blocks": 1, "attention_resolutions": [],
                            "channel_mult": [1], "num_head_channels": 8},
            "image_size": 8, "channels": 1, "conditioning_key": "concat", "condition_keys": {"concat": "condition"},
        },
        "data": {"name": "paired_folder", "path": "hi", "condition_path": "lo", "image_size": 8, "channels": 1,
                 "batch_size": 4, **data},
        "trainer": {"max_steps": 10, "accelerator": "cpu", "devices": 1},
    }


def test_matching_channels_validate():
    assert report_for(superres()).ok
    assert report_for(superres(in_channels=4, condition_channels=3)).ok


def test_in_channels_must_be_data_plus_condition_channels():
    errors = error_paths(report_for(superres(in_channels=3)))
    assert "1 data + 1 condition channels ('condition' from the paired_folder data) = 2" in \
        errors["model.unet_config.in_channels"]
    errors = error_paths(report_for(superres(in_channels=2, condition_channels=3)))
    assert "= 4" in errors["model.unet_config.in_channels"]


def test_a_condition_of_another_size_cannot_be_concatenated():
    errors = error_paths(report_for(superres(condition_size=4)))
    assert "conditions are 4x4, the samples 8x8" in errors["model.condition_keys.concat"]


def test_the_condition_key_must_be_one_the_source_yields():
    errors = error_paths(report_for(superres(condition_key="lowres")))
    assert "has no key 'condition'" in errors["model.condition_keys.concat"]
