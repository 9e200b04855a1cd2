"""The reusable schedule checker: every registered schedule passes, deliberately broken ones are caught."""

from __future__ import annotations

from typing import ClassVar, Literal

import pytest
import torch
from hypothesis import given, settings
from pydantic import Field

from ddpm_kit.components.schedules.base import RescalableScheduleSpec, linspace
from ddpm_kit.components.schedules.linear import LinearSchedule
from ddpm_kit.components.schedules.sqrt_linear import SqrtLinearSchedule
from ddpm_kit.components.schedules.sqrt_linear_impl import sqrt_linear_betas
from ddpm_kit.registry import SCHEDULES
from ddpm_kit.testing import check_schedule, check_schedule_family, spec_strategy


def _default(name):
    cls = SCHEDULES.get(name)
    return cls(betas=[1e-3, 1e-2, 5e-2, 0.1]) if name == "given_betas" else cls()


@pytest.mark.parametrize("name", SCHEDULES.names())
@pytest.mark.parametrize("timesteps", [10, 1000])
def test_defaults_pass(name, timesteps):
    spec = _default(name)
    if spec.check(timesteps):
        assert name == "iddpm_linear" and timesteps == 10  # declared: 1000/T scaling needs T > 20
        return
    assert check_schedule(spec, timesteps) == []
    if "zero_terminal_snr" in type(spec).model_fields:
        assert check_schedule(type(spec)(zero_terminal_snr=True), timesteps) == []


@pytest.mark.parametrize("name", SCHEDULES.names())
def test_every_registered_schedule_family(name):
    check_schedule_family(SCHEDULES.get(name), max_examples=40)


@settings(max_examples=40, deadline=None)
@given(spec=spec_strategy(LinearSchedule))
def test_strategy_respects_constraints(spec):
    assert 1e-6 <= spec.linear_start <= spec.linear_end < 1
    assert isinstance(spec.zero_terminal_snr, bool)


def test_strategy_rejects_unknown_overrides():
    with pytest.raises(KeyError, match="linear_stop"):
        spec_strategy(LinearSchedule, {"linear_stop": None})


# ----------------------------------------------------------------------------------------- broken plugins
def _scaled(spec, timesteps):
    return sqrt_linear_betas(spec, timesteps) * 1.01


class ScaledBetas(SqrtLinearSchedule):
    """Broken: the torch path multiplies the betas by 1.01 (reference and torch disagree). Source: a test."""

    name: Literal["test_broken_scaled"] = "test_broken_scaled"  # type: ignore[assignment]

    def load_impl(self):
        return _scaled


def _ignores_end(spec, timesteps):
    return torch.linspace(spec.linear_start, 2e-2, timesteps, dtype=torch.float64)


class IgnoresField(SqrtLinearSchedule):
    """Broken only away from the default: the torch path hard-codes linear_end = 0.02. Source: a test."""

    name: Literal["test_broken_field"] = "test_broken_field"  # type: ignore[assignment]

    def load_impl(self):
        return _ignores_end


class Permissive(RescalableScheduleSpec):
    """Broken: tiny betas (lost in float32) and a check() that declares nothing. Source: a test."""

    name: Literal["test_broken_tiny"] = "test_broken_tiny"
    scale: float = Field(1e-9, gt=0, le=1e-8, description="the constant beta")

    def check(self, timesteps):
        return []

    def raw_reference_betas(self, timesteps):
        return [self.scale] * timesteps

    def load_impl(self):
        return lambda spec, timesteps: torch.full((timesteps,), spec.scale, dtype=torch.float64)


class RaisesOnOddT(RescalableScheduleSpec):
    """Broken: reference_betas raises for odd T. Source: a test."""

    name: Literal["test_broken_raises"] = "test_broken_raises"
    impl: ClassVar[str] = "ddpm_kit.components.schedules.sqrt_linear_impl:sqrt_linear_betas"
    linear_start: float = Field(1e-4, ge=1e-6, lt=1, description="first beta")
    linear_end: float = Field(2e-2, ge=1e-6, lt=1, description="last beta")

    def raw_reference_betas(self, timesteps):
        if timesteps % 2:
            raise ZeroDivisionError("odd")
        return linspace(self.linear_start, self.linear_end, timesteps)


@pytest.fixture
def registered():
    names = []

    def register(cls):
        SCHEDULES.register(cls)
        names.append(cls.spec_name())
        return SCHEDULES.get(cls.spec_name())

    yield register
    for name in names:
        SCHEDULES.unregister(name)
    assert not any(n.startswith("test_broken") for n in SCHEDULES.names())


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (ScaledBetas, "differ by"),
        (IgnoresField, "differ by"),
        (Permissive, "lvlb_weights"),
        (RaisesOnOddT, "raised ZeroDivisionError"),  # from its check(T)
    ],
)
def test_broken_schedules_are_caught(registered, cls, message):
    spec_cls = registered(cls)
    assert spec_cls.spec_name() in SCHEDULES.names()
    with pytest.raises(AssertionError, match=message):
        check_schedule_family(spec_cls, max_examples=40)


def test_direct_violation_messages():
    assert any("differ by" in v for v in check_schedule(ScaledBetas(), 100))
    assert check_schedule(IgnoresField(), 100) == []  # only hypothesis finds this one
    assert any("differ" in v for v in check_schedule(IgnoresField(linear_end=0.05), 100))
    assert check_schedule(LinearSchedule(), 10) == []
    declared = check_schedule(SqrtLinearSchedule(), 1)
    assert declared and "check(T=1)" in declared[0]
