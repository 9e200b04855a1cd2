"""Fixtures of the backbone tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from tests.components.backbones.helpers import recipe_state_dict


@pytest.fixture
def perturb() -> Callable[[nn.Module, int], nn.Module]:
    """Load recipe weights into a model (a fresh UNet outputs exactly 0, so tests need this)."""

    def apply(model: nn.Module, seed: int = 0) -> nn.Module:
        model.load_state_dict(recipe_state_dict(model, seed), strict=True)
        return model

    return apply


@pytest.fixture(autouse=True)
def one_torch_thread():
    """These models are tiny: one intra-op thread avoids OpenMP oversubscription on a shared machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
