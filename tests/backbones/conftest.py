"""Fixtures of the backbone tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from torch import nn

from tests.backbones.helpers import recipe_state_dict


@pytest.fixture
def perturb() -> Callable[[nn.Module, int], nn.Module]:
    """Load recipe weights into a model (a fresh UNet outputs exactly 0, so tests need this)."""

    def apply(model: nn.Module, seed: int = 0) -> nn.Module:
        model.load_state_dict(recipe_state_dict(model, seed), strict=True)
        return model

    return apply
