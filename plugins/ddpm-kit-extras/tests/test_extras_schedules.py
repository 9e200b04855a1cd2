"""extras.laplace and extras.shifted_cosine: closed forms, the Laplace quantile property, the shift, model betas."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from ddpm_kit.components.schedules.base_impl import make_betas
from ddpm_kit.testing import check_schedule, check_schedule_family
from ddpm_kit_extras.schedules import LaplaceSchedule, ShiftedCosineSchedule, log_sigmoid


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def logsnr_of(alpha_bar: list[float]) -> list[float]:
    return [math.log(a / (1.0 - a)) for a in alpha_bar]


def test_laplace_alpha_bar_is_the_sigmoid_of_the_laplace_quantile():
    spec = LaplaceSchedule(mu=0.3, b=0.7)
    alpha_bar = spec.reference_alphas_cumprod(8)
    for i, value in enumerate(alpha_bar[:-1]):
        t = (i + 1) / 8
        quantile = 0.3 - 0.7 * math.copysign(1.0, 0.5 - t) * math.log(1.0 - 2.0 * abs(t - 0.5))
        assert value == pytest.approx(sigmoid(quantile), rel=1e-12)
    assert alpha_bar[-1] == pytest.approx(sigmoid(spec.logsnr_min), rel=1e-9)  # t = 1 clipped to logsnr_min


def test_laplace_log_snr_of_uniform_steps_is_laplace_distributed():
    """P(|lambda - mu| <= b) = 1 - 1/e for Laplace(mu, b); the T steps sample lambda at uniform quantiles."""
    spec = LaplaceSchedule(mu=-1.0, b=0.5)
    logsnr = logsnr_of(spec.reference_alphas_cumprod(2000))
    inside = sum(abs(value + 1.0) <= 0.5 for value in logsnr) / len(logsnr)
    assert inside == pytest.approx(1.0 - math.exp(-1.0), abs=2e-3)
    assert sum(value > -1.0 for value in logsnr) == 1000  # the median is mu


def test_shift_moves_the_log_snr_by_two_log_resolution_ratio():
    base = logsnr_of(ShiftedCosineSchedule(resolution=64).reference_alphas_cumprod(50))
    shifted = logsnr_of(ShiftedCosineSchedule(resolution=256).reference_alphas_cumprod(50))
    for a, b in zip(base, shifted):
        assert b - a == pytest.approx(2.0 * math.log(64 / 256), abs=1e-9)


def test_unshifted_cosine_with_wide_clip_is_the_cosine_schedule():
    spec = ShiftedCosineSchedule(logsnr_min=-30.0, logsnr_max=30.0)
    for i, value in enumerate(spec.reference_alphas_cumprod(100)[:-1]):
        t = (i + 1) / 100
        assert value == pytest.approx(math.cos(math.pi * t / 2) ** 2, rel=1e-4)


@pytest.mark.parametrize("spec", [LaplaceSchedule(), LaplaceSchedule(mu=2.0, b=1.5, zero_terminal_snr=True),
                                  ShiftedCosineSchedule(resolution=512), ShiftedCosineSchedule(base_resolution=16)],
                         ids=repr)
@pytest.mark.parametrize("timesteps", [3, 50, 1000])
def test_model_betas_are_the_formula_and_pass_the_invariants(spec, timesteps):
    assert make_betas(spec, timesteps).tolist() == spec.reference_betas(timesteps)
    assert check_schedule(spec, timesteps) == []


@pytest.mark.parametrize("spec_cls", [LaplaceSchedule, ShiftedCosineSchedule])
def test_hypothesis_family(spec_cls):
    check_schedule_family(spec_cls, max_examples=30)


def test_log_sigmoid_is_accurate_at_both_ends():
    assert log_sigmoid(40.0) == pytest.approx(-math.exp(-40.0), rel=1e-12)
    assert log_sigmoid(-40.0) == pytest.approx(-40.0 - math.exp(-40.0), rel=1e-15)
    assert log_sigmoid(-math.inf) == -math.inf


def test_clipping_that_flattens_steps_is_reported():
    problems = LaplaceSchedule(b=4.0, logsnr_max=1.0).check(100)
    assert problems and "logsnr_max=1.0 clips the first" in problems[0]
    with pytest.raises(ValidationError, match="logsnr_min"):
        LaplaceSchedule(logsnr_min=0.0, logsnr_max=0.0)
    with pytest.raises(ValidationError, match="misses 0: the schedule would have no clean steps"):
        ShiftedCosineSchedule(resolution=16384, base_resolution=1)
