"""uint8 pixel batches (image_folder, paired_folder, hf.dataset) reach the network exactly as their float32 values."""

from __future__ import annotations

import torch

from ddpm_kit.components.data.base_impl import to_model_range
from ddpm_kit.config.model import ConditionKeys, UCGEntry
from ddpm_kit.module_parts.batches import ConditionDropout, conditions, get_input, labels_of


def pixels(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 256, shape, generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


def test_get_input_converts_pixels_in_every_image_layout() -> None:
    first = pixels(4, 3, 8, 6)  # [B, C, H, W]
    expected = first.float() / 127.5 - 1
    assert torch.equal(get_input({"x": first}, "x", "channels_first", 3), expected)
    last = first.permute(0, 2, 3, 1).contiguous()  # [B, H, W, C]
    assert torch.equal(get_input({"x": last}, "x", "channels_last", 3), expected)
    grey = pixels(4, 8, 8)  # [B, H, W]: no channel axis
    assert torch.equal(get_input({"x": grey}, "x", "channels_first", 1), (grey.float() / 127.5 - 1)[:, None])
    floats = torch.rand(4, 3, 8, 6) * 2 - 1
    assert torch.equal(get_input({"x": floats}, "x", "channels_first", 3), floats)  # float data unscaled


def test_concat_conditions_are_converted_and_labels_are_not() -> None:
    condition = pixels(2, 1, 8, 8)
    cond = conditions({"condition": condition}, ConditionKeys(concat="condition"), "concat")
    assert torch.equal(cond["c_concat"][0], to_model_range(condition))
    labels = torch.tensor([3, 7])
    cond = conditions({"y": labels}, ConditionKeys(labels="y"), "adm")
    assert labels_of(cond, "adm").dtype == torch.int64 and torch.equal(labels_of(cond, "adm"), labels)


def test_condition_dropout_replaces_pixels_by_a_value_in_the_model_range() -> None:
    """``val: 0.0`` means mid-grey 0.0 for float data, so it must for uint8 pixels too (not pixel 0 = -1)."""
    condition = pixels(64, 1, 4, 4)
    dropout = ConditionDropout({"condition": UCGEntry(p=0.5, val=0.0)})
    out = dropout({"condition": condition}, torch.Generator().manual_seed(1))["condition"]
    dropped = (out == 0).flatten(1).all(1)
    assert out.dtype == torch.float32 and 10 < int(dropped.sum()) < 54
    assert torch.equal(out[~dropped], to_model_range(condition)[~dropped])
    as_float = dropout({"condition": to_model_range(condition)}, torch.Generator().manual_seed(1))["condition"]
    assert torch.equal(out, as_float)  # the same draws and values as the float batch
