"""EMA strategy specs: field rules, per-step decays, half-lives and the conversions (torch-free)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ddpm_kit.components.ema.base import (
    POWER_STD_MAX,
    decay_to_half_life,
    describe_half_life,
    half_life_to_decay,
    images_to_steps,
    power_gamma_to_std,
    power_std_to_gamma,
)
from ddpm_kit.components.ema.constant import ConstantEmaSpec
from ddpm_kit.components.ema.half_life import HalfLifeEmaSpec
from ddpm_kit.components.ema.lit_ema import LitEmaSpec
from ddpm_kit.components.ema.power import PowerEmaSpec
from ddpm_kit.registry import EMAS

VECTORS = json.loads((Path(__file__).parents[2] / "data" / "misc" / "lr_ema_vectors.json").read_text())


def test_builtins_are_registered_through_entry_points():
    assert {"lit_ema", "constant", "half_life", "power"} <= set(EMAS.names())
    assert EMAS.get("lit_ema") is LitEmaSpec
    assert EMAS.get("power") is PowerEmaSpec
    assert str(EMAS.origin("half_life")).startswith("builtin")


@pytest.mark.parametrize("name", ["lit_ema", "constant", "half_life", "power"])
def test_specs_are_documented(name):
    spec = EMAS.get(name)
    assert spec.summary() and spec.impl.startswith("ddpm_kit.components.")
    undocumented = [f for f, info in spec.model_fields.items() if f != "name" and not info.description]
    assert undocumented == []

# --------------------------------------------------------------------------- conversions
def test_decay_half_life_conversions():
    assert decay_to_half_life(0.5) == pytest.approx(1.0)
    assert decay_to_half_life(0.9999) == pytest.approx(6931.1, abs=0.1)
    assert decay_to_half_life(0.0) == 0.0
    assert decay_to_half_life(1.0) == math.inf
    assert half_life_to_decay(1.0) == 0.5
    assert half_life_to_decay(0.0) == 0.0
    assert images_to_steps(500_000, 256) == pytest.approx(1953.125)
    with pytest.raises(ValueError):
        decay_to_half_life(1.5)
    with pytest.raises(ValueError):
        half_life_to_decay(-1.0)
    with pytest.raises(ValueError):
        images_to_steps(10, 0)


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=1e-3, max_value=1e7))
def test_half_life_round_trip(half_life):
    assert decay_to_half_life(half_life_to_decay(half_life)) == pytest.approx(half_life, rel=1e-6)


def test_power_std_gamma_matches_edm2():
    # EDM2 (Karras et al. 2024), Sec. 3: sigma_rel 0.05 <-> gamma 16.97, 0.10 <-> gamma 6.94
    assert power_std_to_gamma(0.05) == pytest.approx(16.97, abs=5e-3)
    assert power_std_to_gamma(0.10) == pytest.approx(6.94, abs=5e-3)
    assert POWER_STD_MAX == pytest.approx(math.sqrt(1 / 12))
    for bad in (0.0, -0.1, POWER_STD_MAX, 0.5):
        with pytest.raises(ValueError):
            power_std_to_gamma(bad)


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=1e-3, max_value=1e4))
def test_power_gamma_std_round_trip_and_cubic(gamma):
    std = power_gamma_to_std(gamma)
    back = power_std_to_gamma(std)
    assert back == pytest.approx(gamma, rel=1e-7)
    # EDM2's std_to_exp: the largest real root of g^3 + 7 g^2 + (16 - s^-2) g + (12 - s^-2)
    inv = std ** -2
    residual = back**3 + 7 * back**2 + (16 - inv) * back + (12 - inv)
    assert abs(residual) <= 1e-6 * inv * (1 + back)


# --------------------------------------------------------------------------- lit_ema
def test_lit_ema_defaults_and_decay_trajectory():
    spec = LitEmaSpec()
    assert spec.decay == 0.9999 and spec.use_num_updates is True
    for row in VECTORS["lit_ema"]["history"]:
        assert spec.decay_at(row["num_updates"]) == row["decay_used"]
    assert spec.decay_at(10**9) == 0.9999
    assert LitEmaSpec(use_num_updates=False).decay_at(1) == 0.9999
    assert spec.half_life_steps(1) == pytest.approx(math.log(0.5) / math.log(2 / 11))


@pytest.mark.parametrize("bad", [-0.1, 1.0001, float("nan"), "high"])
def test_lit_ema_rejects_decay_outside_unit_interval(bad):
    with pytest.raises(ValidationError):
        LitEmaSpec(decay=bad)


def test_specs_refuse_unknown_fields_and_step_zero():
    with pytest.raises(ValidationError):
        LitEmaSpec(use_num_upates=True)  # upstream's misspelling is not accepted
    with pytest.raises(ValueError):
        LitEmaSpec().decay_at(0)
    with pytest.raises(ValueError):
        PowerEmaSpec(std=0.05).decay_at(0)


# --------------------------------------------------------------------------- constant
def test_constant_has_no_warmup():
    spec = ConstantEmaSpec(decay=0.99)
    assert spec.decay_at(1) == spec.decay_at(10**6) == 0.99
    assert spec.half_life_steps(1) == pytest.approx(68.97, abs=0.01)
    assert ConstantEmaSpec(decay=1.0).half_life_steps(5) == math.inf
    with pytest.raises(ValidationError):
        ConstantEmaSpec(decay=1.5)


# --------------------------------------------------------------------------- half_life
def test_half_life_needs_exactly_one_half_life():
    with pytest.raises(ValidationError, match="exactly one"):
        HalfLifeEmaSpec()
    with pytest.raises(ValidationError, match="exactly one"):
        HalfLifeEmaSpec(half_life_images=1000, half_life_updates=10)
    with pytest.raises(ValidationError, match="batch_size only converts"):
        HalfLifeEmaSpec(half_life_updates=10, batch_size=32)
    for bad in ({"half_life_images": 0}, {"half_life_updates": -1}, {"half_life_updates": 5, "rampup_ratio": 0},
                {"half_life_images": 10, "batch_size": 0}):
        with pytest.raises(ValidationError):
            HalfLifeEmaSpec(**bad)


def test_half_life_in_steps_with_edm_rampup():
    spec = HalfLifeEmaSpec(half_life_updates=100.0, rampup_ratio=0.05)
    assert spec.decay_at(1) == 0.0  # EDM: the first update copies the weights
    assert spec.half_life_at(101) == pytest.approx(5.0)  # 0.05 * 100 steps seen before
    assert spec.decay_at(101) == pytest.approx(0.5 ** (1 / 5))
    assert spec.half_life_at(10**6) == 100.0
    assert HalfLifeEmaSpec(half_life_updates=100.0, rampup_ratio=None).decay_at(1) == pytest.approx(0.5 ** 0.01)


def test_half_life_images_follow_edm_formula():
    # EDM: beta = 0.5 ** (batch / max(min(halflife_nimg, cur_nimg * ratio), 1e-8)), cur_nimg before the step
    spec = HalfLifeEmaSpec(half_life_images=500_000, batch_size=512)
    for step in (2, 50, 1000, 100_000):
        nimg = (step - 1) * 512
        expected = 0.5 ** (512 / max(min(500_000, nimg * 0.05), 1e-8))
        assert spec.decay_at(step) == pytest.approx(expected, rel=1e-12)
    assert spec.half_life_steps(10**6) == pytest.approx(500_000 / 512)


def test_half_life_batch_size_from_build_time():
    spec = HalfLifeEmaSpec(half_life_images=1000)
    assert spec.half_life_steps(10**6) is None  # unknown until the batch size is known
    assert spec.decay_at(10**6, batch_size=10) == pytest.approx(0.5 ** (1 / 100))
    with pytest.raises(ValueError, match="effective batch size"):
        spec.decay_at(10)
    pinned = HalfLifeEmaSpec(half_life_images=1000, batch_size=10)
    assert pinned.resolve_batch_size(10) == 10
    with pytest.raises(ValueError, match="batch_size=10 but the run uses 20"):
        pinned.resolve_batch_size(20)


# --------------------------------------------------------------------------- power
def test_power_needs_exactly_one_width():
    with pytest.raises(ValidationError, match="exactly one"):
        PowerEmaSpec()
    with pytest.raises(ValidationError, match="exactly one"):
        PowerEmaSpec(std=0.05, gamma=7.0)
    for bad in ({"std": 0.0}, {"std": 0.3}, {"gamma": 0.0}, {"gamma": -0.5}):
        with pytest.raises(ValidationError):
            PowerEmaSpec(**bad)


def test_power_decay_formula():
    spec = PowerEmaSpec(gamma=6.94)
    assert spec.decay_at(1) == 0.0
    for t in (2, 10, 12345):
        assert spec.decay_at(t) == pytest.approx((1 - 1 / t) ** 7.94, rel=1e-14)
    assert PowerEmaSpec(std=0.05).exponent() == pytest.approx(16.97, abs=5e-3)
    # half-life grows linearly with t: ~ t ln2 / (gamma + 1)
    assert spec.half_life_steps(100_000) == pytest.approx(100_000 * math.log(2) / 7.94, rel=1e-4)


# --------------------------------------------------------------------------- summary
def test_summary_helpers():
    assert HalfLifeEmaSpec(half_life_images=1000).half_life_steps(10**6, batch_size=10) == 100
    assert HalfLifeEmaSpec(half_life_images=1000).half_life_steps(10**6) is None
    assert ConstantEmaSpec(decay=0.5).half_life_steps(3, batch_size=10) == pytest.approx(1.0)
    line = describe_half_life(ConstantEmaSpec(decay=0.5), 3, batch_size=64)
    assert "half-life 1 steps" in line and "64 images at batch 64" in line
    assert "needs the effective batch size" in describe_half_life(HalfLifeEmaSpec(half_life_images=9), 5)
    assert "never updates" in describe_half_life(ConstantEmaSpec(decay=1.0), 5)
