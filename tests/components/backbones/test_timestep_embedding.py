"""Sinusoidal time embedding: upstream's values and layout ([cos, sin], cos first)."""

from __future__ import annotations

import json
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ddpm_kit.components.backbones.nn.embeddings import label_embedding, timestep_embedding
from tests.components.backbones.helpers import DATA

REFERENCE = json.loads((DATA / "unet" / "timestep_embedding.json").read_text())


def test_matches_upstream_values():
    t = torch.tensor(REFERENCE["t"])
    values = timestep_embedding(t, REFERENCE["dim"], REFERENCE["max_period"])
    expected = torch.tensor(REFERENCE["values"], dtype=torch.float32)
    assert values.dtype == torch.float32
    torch.testing.assert_close(values, expected, rtol=0, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(t=st.floats(0, 1000), dim=st.integers(2, 64))
def test_layout_is_cos_then_sin_with_geometric_frequencies(t, dim):
    out = timestep_embedding(torch.tensor([t]), dim)[0]
    half = dim // 2
    for i in (0, half - 1):
        arg = t * math.exp(-math.log(10000.0) * i / half)
        assert out[i].item() == pytest.approx(math.cos(arg), abs=2e-3)
        assert out[half + i].item() == pytest.approx(math.sin(arg), abs=2e-3)
    if dim % 2:
        assert out[-1].item() == 0.0  # odd widths are zero-padded
    assert out.shape == (dim,)


def test_rejects_timesteps_that_are_not_one_dimensional():
    with pytest.raises(ValueError, match=r"shape \[B\]"):
        timestep_embedding(torch.tensor(3), 8)


def test_label_embedding_kinds_and_errors():
    assert isinstance(label_embedding(5, 16), torch.nn.Embedding)
    assert label_embedding("continuous", 16)(torch.ones(2, 1)).shape == (2, 16)
    assert label_embedding("sequential", 16, adm_in_channels=7)(torch.ones(2, 7)).shape == (2, 16)
    with pytest.raises(ValueError, match="adm_in_channels"):
        label_embedding("sequential", 16)
    with pytest.raises(ValueError, match="continuous"):
        label_embedding("discrete", 16)
