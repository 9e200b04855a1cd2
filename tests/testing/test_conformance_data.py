"""The data-source conformance property: float32 items, or uint8 pixels for images only."""

from __future__ import annotations

import torch

from ddpm_kit.components.data.base_impl import DataSplits, TensorDictDataset
from ddpm_kit.testing.conformance.sampling import data_items


class FakeSpec:
    def __init__(self, tensor: torch.Tensor, layout: str) -> None:
        self.tensor, self.layout = tensor, layout

    def keys(self) -> tuple[str, ...]:
        return ("x",)

    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.tensor.shape[1:])

    def load_impl(self):
        return lambda spec: DataSplits(TensorDictDataset({"x": spec.tensor}), None, spec.layout)


def test_uint8_images_and_float_items_pass() -> None:
    assert data_items(FakeSpec(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), "channels_first"), None) == []
    assert data_items(FakeSpec(torch.zeros(2, 5), "vector"), None) == []


def test_uint8_vectors_other_dtypes_and_non_finite_values_are_problems() -> None:
    (problem,) = data_items(FakeSpec(torch.zeros(2, 5, dtype=torch.uint8), "vector"), None)
    assert "uint8" in problem and "only images" in problem
    (problem,) = data_items(FakeSpec(torch.zeros(2, 3, 4, 4, dtype=torch.float64), "channels_first"), None)
    assert "float32 (or uint8 pixels)" in problem and "float64" in problem
    problems = data_items(FakeSpec(torch.full((2, 5), float("nan")), "vector"), None)
    assert "must be finite" in problems[0]  # (and NaN != NaN: "building twice" differs too)
