"""``to_model_range``: the one conversion of uint8 pixels to the model's [-1, 1]."""

from __future__ import annotations

import numpy as np
import torch

from ddpm_kit.components.data.base_impl import to_model_range


def test_pixels_become_x_over_127_5_minus_1_for_every_byte() -> None:
    pixels = torch.from_numpy(np.tile(np.arange(256, dtype=np.uint8), (3, 4, 1)))  # [3, 4, 256]: every value
    out = to_model_range(pixels)
    assert out.dtype == torch.float32 and torch.equal(out, pixels.to(torch.float32) / 127.5 - 1.0)  # float32 math
    assert torch.allclose(out.double(), pixels.double() / 127.5 - 1.0, rtol=0, atol=2 ** -23)  # within an ulp
    assert out[0, 0, 0] == -1.0 and out[0, 0, 255] == 1.0
    assert torch.equal(pixels, torch.from_numpy(np.tile(np.arange(256, dtype=np.uint8), (3, 4, 1))))  # not edited


def test_other_tensors_are_returned_as_they_are() -> None:
    x = torch.linspace(-1, 1, 7, dtype=torch.float64)
    assert to_model_range(x) is x  # unscaled, dtype kept (callers cast to float32)
    labels = torch.arange(5)
    assert to_model_range(labels) is labels  # int64 labels stay labels
    same = torch.randn(4)
    assert to_model_range(same) is same  # float32: no copy
