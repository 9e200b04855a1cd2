"""Learning-rate schedule specs: upstream values exactly, defined behaviour where upstream crashes, rules."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ddpm_kit.components.lr_schedules.constant import ConstantLRSpec
from ddpm_kit.components.lr_schedules.lambda_linear import LambdaLinearSpec
from ddpm_kit.components.lr_schedules.lambda_warmup_cosine import LambdaWarmUpCosineSpec
from ddpm_kit.components.lr_schedules.lambda_warmup_cosine2 import LambdaWarmUpCosine2Spec
from ddpm_kit.components.lr_schedules.warmup_cosine import WarmupCosineSpec
from ddpm_kit.registry import LR_SCHEDULES

VECTORS = json.loads((Path(__file__).parents[2] / "data" / "misc" / "lr_ema_vectors.json").read_text())["lr_lambdas"]
UPSTREAM = {
    "LambdaLinearScheduler_ldm_default": LambdaLinearSpec,
    "LambdaLinearScheduler_decay": LambdaLinearSpec,
    "LambdaWarmUpCosineScheduler": LambdaWarmUpCosineSpec,
    "LambdaWarmUpCosineScheduler2": LambdaWarmUpCosine2Spec,
}
CASES = [(case, int(step), value) for case, entry in VECTORS.items() for step, value in entry["values"].items()]


def test_registered_by_name():
    assert set(LR_SCHEDULES.names()) >= {
        "constant", "lambda_warmup_cosine", "lambda_warmup_cosine2", "lambda_linear", "warmup_cosine",
    }
    assert LR_SCHEDULES.get("lambda_linear") is LambdaLinearSpec


@pytest.mark.parametrize("name", [
    "constant", "lambda_warmup_cosine", "lambda_warmup_cosine2", "lambda_linear", "warmup_cosine"])
def test_specs_are_documented(name):
    spec = LR_SCHEDULES.get(name)
    assert spec.summary() and spec.impl.startswith("ddpm_kit.components.")
    undocumented = [f for f, info in spec.model_fields.items() if f != "name" and not info.description]
    assert undocumented == []

@pytest.mark.parametrize(("case", "step", "value"), CASES, ids=[f"{c}-{s}" for c, s, _ in CASES])
def test_upstream_values(case, step, value):
    spec = UPSTREAM[case](**VECTORS[case]["params"])
    got = spec.multiplier_reference(step)
    if isinstance(value, str):  # upstream raised here (beyond the last cycle): we hold the final value
        assert value.startswith("TypeError")
        k = len(spec.cycle_lengths) - 1
        assert got == spec.multiplier_reference(sum(spec.cycle_lengths)) == spec.f_min[k]
    else:
        assert got == value  # bit for bit: same operation order as upstream


def test_lambda_linear_jump_at_end_of_warmup():
    spec = LambdaLinearSpec(**VECTORS["LambdaLinearScheduler_decay"]["params"])
    assert spec.multiplier_reference(99) == pytest.approx(0.99)
    assert spec.multiplier_reference(100) == pytest.approx(0.91)


def test_cycle_boundary_belongs_to_the_earlier_cycle():
    spec = LambdaWarmUpCosine2Spec(**VECTORS["LambdaWarmUpCosineScheduler2"]["params"])
    assert spec.locate(100) == (0, 100)
    assert spec.locate(101) == (1, 1)
    assert spec.locate(200) == (1, 100)
    assert spec.locate(10**9) == (1, 100)  # held beyond the last cycle
    assert spec.cycle_starts() == [0, 100, 200]


def test_beyond_last_cycle_holds_the_last_value():
    spec = LambdaWarmUpCosine2Spec(warm_up_steps=[0], f_min=[0.2], f_max=[1.0], f_start=[0.0], cycle_lengths=[50])
    assert [spec.multiplier_reference(n) for n in (50, 51, 10**7)] == [0.2, 0.2, 0.2]


def test_warmup_cosine_equal_steps_refused():
    with pytest.raises(ValidationError, match="must exceed warm_up_steps"):
        LambdaWarmUpCosineSpec(warm_up_steps=10, lr_min=0.1, lr_max=1, lr_start=0, max_decay_steps=10)
    with pytest.raises(ValidationError):
        LambdaWarmUpCosineSpec(warm_up_steps=10, lr_min=0.1, lr_max=1, lr_start=0, max_decay_steps=5)


def test_inpainting_config_validates():
    # models/ldm/inpainting_big/config.yaml
    spec = LambdaWarmUpCosineSpec(warm_up_steps=1000, max_decay_steps=50000, lr_start=0.001, lr_max=0.1,
                                  lr_min=0.0001, verbosity_interval=0)
    assert spec.multiplier_reference(0) == 0.001
    assert spec.multiplier_reference(1000) == pytest.approx(0.1)
    assert spec.multiplier_reference(60000) == pytest.approx(0.0001)


@pytest.mark.parametrize("spec_cls", [LambdaWarmUpCosine2Spec, LambdaLinearSpec])
def test_cycle_lists_must_have_equal_lengths(spec_cls):
    with pytest.raises(ValidationError, match="one entry per cycle"):
        spec_cls(warm_up_steps=[1, 2], f_min=[0.1], f_max=[1.0], f_start=[0.0], cycle_lengths=[10])
    with pytest.raises(ValidationError):
        spec_cls(warm_up_steps=[], f_min=[], f_max=[], f_start=[], cycle_lengths=[])
    with pytest.raises(ValidationError):
        spec_cls(warm_up_steps=[1], f_min=[0.1], f_max=[1.0], f_start=[0.0], cycle_lengths=[0])


def test_cycle_warmup_limits():
    kwargs = dict(f_min=[0.1], f_max=[1.0], f_start=[0.0])
    with pytest.raises(ValidationError, match="must exceed warm_up_steps"):
        LambdaWarmUpCosine2Spec(warm_up_steps=[10], cycle_lengths=[10], **kwargs)  # upstream: ZeroDivisionError
    assert LambdaLinearSpec(warm_up_steps=[10], cycle_lengths=[10], **kwargs).multiplier_reference(10) == 0.1
    with pytest.raises(ValidationError, match="never finish"):
        LambdaLinearSpec(warm_up_steps=[11], cycle_lengths=[10], **kwargs)


def test_ld_yaml_style_float_cycle_length_is_accepted():
    spec = LambdaLinearSpec(warm_up_steps=[10000], f_min=[1.0], f_max=[1.0], f_start=[1e-6], cycle_lengths=[1e13])
    assert spec.cycle_lengths == [10**13]
    with pytest.raises(ValidationError):
        LambdaLinearSpec(warm_up_steps=[1], f_min=[1.0], f_max=[1.0], f_start=[0.0], cycle_lengths=[10.5])


def test_negative_multipliers_and_steps_refused():
    with pytest.raises(ValidationError):
        LambdaLinearSpec(warm_up_steps=[1], f_min=[-0.1], f_max=[1.0], f_start=[0.0], cycle_lengths=[10])
    with pytest.raises(ValidationError):
        LambdaWarmUpCosineSpec(warm_up_steps=-1, lr_min=0.1, lr_max=1, lr_start=0, max_decay_steps=10)
    with pytest.raises(ValueError):
        ConstantLRSpec().multiplier_reference(-1)


def test_constant():
    assert [ConstantLRSpec().multiplier_reference(n) for n in (0, 1, 10**9)] == [1.0, 1.0, 1.0]
    with pytest.raises(ValidationError):
        ConstantLRSpec(value=2.0)


def test_warmup_cosine_values():
    spec = WarmupCosineSpec(warmup_steps=10, total_steps=110, min_ratio=0.1)
    assert spec.multiplier_reference(0) == 0.0
    assert spec.multiplier_reference(5) == 0.5
    assert spec.multiplier_reference(10) == 1.0
    assert spec.multiplier_reference(60) == pytest.approx(0.55)
    assert spec.multiplier_reference(110) == pytest.approx(0.1)
    assert spec.multiplier_reference(10**6) == pytest.approx(0.1)
    assert WarmupCosineSpec(total_steps=4).multiplier_reference(0) == 1.0  # no warm-up
    with pytest.raises(ValidationError, match="must exceed"):
        WarmupCosineSpec(warmup_steps=10, total_steps=10)
    for bad in ({"total_steps": 0}, {"total_steps": 10, "min_ratio": 1.5}, {"total_steps": 10, "warmup_steps": -1}):
        with pytest.raises(ValidationError):
            WarmupCosineSpec(**bad)


@settings(max_examples=50, deadline=None)
@given(
    warm=st.integers(0, 1000), extra=st.integers(1, 10_000), low=st.floats(0, 1), step=st.integers(0, 20_000),
)
def test_warmup_cosine_is_bounded_and_decreasing_after_warmup(warm, extra, low, step):
    spec = WarmupCosineSpec(warmup_steps=warm, total_steps=warm + extra, min_ratio=low)
    value = spec.multiplier_reference(step)
    assert 0.0 <= value <= 1.0 + 1e-12
    if step >= warm:
        assert value >= low - 1e-12
        assert spec.multiplier_reference(step + 1) <= value + 1e-12


@settings(max_examples=50, deadline=None)
@given(
    warm=st.integers(0, 100), length=st.integers(1, 1000), f=st.lists(st.floats(0, 5), min_size=3, max_size=3),
    step=st.integers(0, 3000),
)
def test_cosine2_stays_between_its_extremes(warm, length, f, step):
    f_start, f_min, f_max = f
    spec = LambdaWarmUpCosine2Spec(warm_up_steps=[warm], f_min=[f_min], f_max=[f_max], f_start=[f_start],
                                   cycle_lengths=[warm + length])
    value = spec.multiplier_reference(step)
    assert math.isfinite(value)
    assert min(f) - 1e-9 <= value <= max(f) + 1e-9
