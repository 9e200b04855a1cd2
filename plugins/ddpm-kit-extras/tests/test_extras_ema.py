"""extras.posthoc_power: the least-squares profile fit, the EMA updates, checkpoints and post-hoc synthesis."""

from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError
from torch import nn

from ddpm_kit.components.ema.base import power_std_to_gamma
from ddpm_kit.components.ema.power import PowerEmaSpec
from ddpm_kit_extras.ema import PostHocPowerEmaSpec, posthoc_coefficients, profile_inner_product, solve
from ddpm_kit_extras.impl.ema import PostHocPowerEma
from ddpm_kit_extras.posthoc import synthesize


def test_solver_inverts_a_small_system():
    matrix = [[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]]
    x = solve(matrix, [1.0, 2.0, 3.0])
    assert [sum(a * b for a, b in zip(row, x)) for row in matrix] == pytest.approx([1.0, 2.0, 3.0], rel=1e-12)


def test_a_tracked_width_is_reproduced_exactly():
    spec = PostHocPowerEmaSpec(stds=(0.05, 0.1), target_std=0.05)
    assert spec.coefficients() == pytest.approx([1.0, 0.0], abs=1e-12)
    assert spec.coefficients(0.1) == pytest.approx([0.0, 1.0], abs=1e-12)


def test_fit_is_close_to_the_target_profile():
    """Residual of the L2 fit of p_target by the tracked profiles, relative to |p_target| (t = 1)."""
    gammas = [power_std_to_gamma(s) for s in (0.05, 0.1)]
    target = power_std_to_gamma(0.075)
    x = posthoc_coefficients(gammas, target)
    g = profile_inner_product
    residual = (g(target, target) - 2 * sum(xi * g(a, target) for xi, a in zip(x, gammas))
                + sum(xi * xj * g(a, b) for xi, a in zip(x, gammas) for xj, b in zip(x, gammas)))
    assert residual / g(target, target) < 1e-2

    def error(a: float) -> float:  # the same residual for one tracked profile alone
        return (g(target, target) - 2 * g(a, target) + g(a, a)) / g(target, target)

    assert residual / g(target, target) < min(error(a) for a in gammas) / 5


def test_validation():
    with pytest.raises(ValidationError, match="outside the tracked range"):
        PostHocPowerEmaSpec(stds=(0.05, 0.1), target_std=0.2)
    with pytest.raises(ValidationError, match="increase"):
        PostHocPowerEmaSpec(stds=(0.1, 0.05))
    with pytest.raises(ValidationError, match="negative weights"):
        PostHocPowerEmaSpec(stds=(0.03, 0.05, 0.1, 0.2), target_std=0.04)


def model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.SiLU(), nn.Linear(4, 2))


def test_profiles_follow_the_built_in_power_ema():
    """Each tracked profile equals ddpm-kit's own `power` EMA of the same width, update for update."""
    net = model()
    ema = PostHocPowerEma(PostHocPowerEmaSpec(), net)
    references = [PowerEmaSpec(std=s).load_impl()(PowerEmaSpec(std=s), net) for s in (0.05, 0.1)]
    for step in range(1, 21):
        with torch.no_grad():
            for p in net.parameters():
                p.add_(torch.randn_like(p))
        ema.update(step, net)
        for reference in references:
            reference.update(step, net)
    for k, reference in enumerate(references):
        for name, shadow in reference.shadows().items():
            torch.testing.assert_close(ema.profiles(name)[k], shadow, rtol=1e-6, atol=1e-6)
    x = ema.coefficients
    for name, shadow in ema.shadows().items():
        expected = x[0] * references[0].shadows()[name] + x[1] * references[1].shadows()[name]
        torch.testing.assert_close(shadow, expected, rtol=1e-6, atol=1e-6)


def test_synthesize_another_width_after_training():
    net = model()
    ema = PostHocPowerEma(PostHocPowerEmaSpec(), net)
    for step in range(1, 11):
        with torch.no_grad():
            for p in net.parameters():
                p.add_(0.1)
        ema.update(step, net)
    narrow = synthesize(ema, 0.05)
    for name in ema.param_to_shadow:
        torch.testing.assert_close(narrow[name], ema.profiles(name)[0], rtol=0, atol=1e-6)
    # a linear ramp: the narrower profile (more weight on recent steps) ends closer to the current weights
    current = dict(net.named_parameters())
    wide = synthesize(ema, 0.1)
    name = next(iter(ema.param_to_shadow))
    assert bool(((current[name] - narrow[name]).abs() < (current[name] - wide[name]).abs()).all())
    with pytest.raises(ValidationError, match="outside the tracked range"):
        synthesize(ema, 0.2)
