"""Per-sample losses: any rank, shape checks, formulas."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from ddpm_kit.components.losses.huber import HuberLoss
from ddpm_kit.components.losses.l1 import L1Loss
from ddpm_kit.components.losses.l2 import L2Loss


def _impl(spec):
    return spec.load_impl()(spec)


@pytest.mark.parametrize("shape", [(5,), (5, 7), (5, 3, 8), (5, 2, 4, 4), (5, 2, 3, 4, 4)])
def test_per_sample_mean_for_any_rank(shape):
    g = torch.Generator().manual_seed(0)
    pred, target = torch.randn(shape, generator=g), torch.randn(shape, generator=g)
    flat = (target - pred).reshape(shape[0], -1)
    torch.testing.assert_close(_impl(L2Loss())(pred, target), (flat**2).mean(1))
    torch.testing.assert_close(_impl(L1Loss())(pred, target), flat.abs().mean(1))
    out = _impl(HuberLoss(delta=0.5))(pred, target)
    r = flat.abs()
    expected = torch.where(r <= 0.5, 0.5 * r**2, 0.5 * (r - 0.25)).mean(1)
    torch.testing.assert_close(out, expected)
    assert out.shape == (shape[0],)


def test_four_d_equals_upstream_get_loss():
    g = torch.Generator().manual_seed(1)
    pred, target = torch.randn(4, 2, 3, 3, generator=g), torch.randn(4, 2, 3, 3, generator=g)
    assert torch.equal(_impl(L2Loss())(pred, target), F.mse_loss(target, pred, reduction="none").mean([1, 2, 3]))
    assert torch.equal(_impl(L1Loss())(pred, target), (target - pred).abs().mean([1, 2, 3]))


@pytest.mark.parametrize("spec", [L2Loss(), L1Loss(), HuberLoss()], ids=lambda s: s.name)
def test_shape_mismatch_is_an_error(spec):
    """Upstream broadcasts (2 output channels vs 1 data channel) with only a UserWarning."""
    with pytest.raises(ValueError, match="shape"):
        _impl(spec)(torch.zeros(4, 2, 8, 8), torch.zeros(4, 1, 8, 8))


def test_gradients_flow():
    pred = torch.zeros(2, 3, requires_grad=True)
    _impl(L2Loss())(pred, torch.ones(2, 3)).sum().backward()
    torch.testing.assert_close(pred.grad, torch.full((2, 3), -2 / 3))
