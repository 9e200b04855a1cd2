"""Schedule specs: names, fields, validation and the pure-Python reference formulas (torch-free)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from ddpm_kit.components.schedules.base import RescalableScheduleSpec, beta_problems, linspace
from ddpm_kit.components.schedules.cosine import CosineSchedule
from ddpm_kit.components.schedules.given_betas import GivenBetasSchedule
from ddpm_kit.components.schedules.iddpm_linear import IDDPMLinearSchedule
from ddpm_kit.components.schedules.linear import LinearSchedule, ScaledLinearSchedule
from ddpm_kit.components.schedules.sigmoid_alphabar import SigmoidAlphaBarSchedule
from ddpm_kit.components.schedules.sigmoid_beta import SigmoidBetaSchedule
from ddpm_kit.components.schedules.sqrt import SqrtSchedule
from ddpm_kit.components.schedules.sqrt_linear import SqrtLinearSchedule
from ddpm_kit.components.schedules.squaredcos_cap_v2 import SquaredCosCapV2Schedule
from ddpm_kit.registry import SCHEDULES, ScheduleSpec
from tests.diffusion.vectors import schedule_arrays, schedule_cases, spec_for

BUILTINS = ("linear", "scaled_linear", "sqrt_linear", "sqrt", "cosine", "squaredcos_cap_v2", "iddpm_linear",
            "sigmoid_alphabar", "sigmoid_beta", "given_betas")


def _default(name: str) -> ScheduleSpec:
    cls = SCHEDULES.get(name)
    return cls(betas=[1e-3, 1e-2, 5e-2]) if name == "given_betas" else cls()


def test_builtins_are_registered_through_entry_points():
    assert set(BUILTINS) <= set(SCHEDULES.names())
    for name in BUILTINS:
        assert SCHEDULES.origin(name).distribution == "builtin"
        assert SCHEDULES.get(name).spec_name() == name
    assert "sigmoid" not in SCHEDULES.names()  # ambiguous across libraries: never a bare name


@pytest.mark.parametrize("name", BUILTINS)
def test_docstrings_and_field_descriptions(name):
    cls = SCHEDULES.get(name)
    assert cls.summary() and "Source" in cls.__doc__
    for field, info in cls.model_fields.items():
        if field != "name":
            assert info.description, f"{name}.{field} has no description"
    # a torch twin, if any, next to the spec: <spec module>_impl
    assert cls.impl == "" or cls.impl.split(":")[0] == f"{cls.__module__}_impl"


def test_compvis_flat_argument_names():
    """The config layer copies flat linear_start/linear_end/cosine_s into specs that declare those fields."""
    for name in ("linear", "scaled_linear", "sqrt_linear", "sqrt", "iddpm_linear", "sigmoid_beta"):
        fields = SCHEDULES.get(name).model_fields
        assert {"linear_start", "linear_end"} <= set(fields) and "cosine_s" not in fields
        assert fields["linear_start"].default == 1e-4 and fields["linear_end"].default == 2e-2
    assert SCHEDULES.get("cosine").model_fields["cosine_s"].default == 8e-3
    for name in ("squaredcos_cap_v2", "sigmoid_alphabar", "given_betas"):
        assert not {"linear_start", "linear_end", "cosine_s"} & set(SCHEDULES.get(name).model_fields)
    with pytest.raises(ValidationError):
        SquaredCosCapV2Schedule(cosine_s=0.01)


def test_zero_terminal_snr_option_on_every_formula_schedule():
    for name in BUILTINS:
        cls = SCHEDULES.get(name)
        has = "zero_terminal_snr" in cls.model_fields
        assert has == (name != "given_betas"), name
        if has:
            assert issubclass(cls, RescalableScheduleSpec) and cls.model_fields["zero_terminal_snr"].default is False


def test_validation_errors():
    with pytest.raises(ValidationError, match="must not exceed"):
        LinearSchedule(linear_start=0.02, linear_end=0.01)
    with pytest.raises(ValidationError):
        SqrtLinearSchedule(linear_end=1.0)
    with pytest.raises(ValidationError):
        LinearSchedule(linear_start=0.0)
    with pytest.raises(ValidationError):
        LinearSchedule(linear_stat=1e-4)  # typo: extra fields are forbidden
    with pytest.raises(ValidationError):
        CosineSchedule(cosine_s=-0.1)
    with pytest.raises(ValidationError, match=r"\(0, 1\)"):
        GivenBetasSchedule(betas=[0.1, 1.0])
    with pytest.raises(ValidationError):
        GivenBetasSchedule(betas=[0.1])
    with pytest.raises(ValidationError, match="end - start"):
        SigmoidAlphaBarSchedule(start=3.0, end=-3.0)
    with pytest.raises(ValidationError, match="saturates"):
        SigmoidAlphaBarSchedule(start=-9.0, end=9.0, tau=0.5)


@pytest.mark.parametrize("case", sorted(schedule_cases()))
def test_reference_betas_match_upstream(case):
    config = schedule_cases()[case]["config"]
    reference = np.array(spec_for(config).reference_betas(config["timesteps"]))
    expected = schedule_arrays()[f"{case}/betas"]
    assert np.max(np.abs(reference - expected) / expected) <= 1e-12
    if config["beta_schedule"] == "squaredcos_cap_v2":  # pure Python upstream: bitwise
        assert np.array_equal(reference, expected)
    alpha_bar = np.array(spec_for(config).reference_alphas_cumprod(config["timesteps"]))
    assert np.max(np.abs(alpha_bar - schedule_arrays()[f"{case}/alphas_cumprod"]) / alpha_bar) <= 1e-12


def test_formulas():
    T = 1000
    linear = LinearSchedule().reference_betas(T)
    assert linear[0] == pytest.approx(1e-4, rel=1e-15) and linear[-1] == pytest.approx(2e-2, rel=1e-15)
    assert np.allclose(np.diff(np.sqrt(linear)), (math.sqrt(2e-2) - math.sqrt(1e-4)) / (T - 1), rtol=1e-9)
    assert ScaledLinearSchedule().reference_betas(T) == linear
    sqrt_linear = SqrtLinearSchedule().reference_betas(T)
    assert np.allclose(np.diff(sqrt_linear), (2e-2 - 1e-4) / (T - 1), rtol=1e-9)
    assert SqrtSchedule().reference_betas(T) == pytest.approx(np.sqrt(sqrt_linear).tolist(), rel=1e-15)
    iddpm = IDDPMLinearSchedule().reference_betas(4000)
    assert iddpm[0] == pytest.approx(2.5e-5) and iddpm[-1] == pytest.approx(5e-3)
    assert IDDPMLinearSchedule().reference_betas(1000) == pytest.approx(sqrt_linear, rel=1e-14)
    cosine = CosineSchedule().reference_betas(T)
    assert cosine == pytest.approx(SquaredCosCapV2Schedule().reference_betas(T), rel=1e-9, abs=1e-15)
    assert max(cosine) == 0.999
    sigmoid_beta = SigmoidBetaSchedule().reference_betas(T)
    assert sigmoid_beta[0] == pytest.approx(1e-4 + (2e-2 - 1e-4) / (1 + math.exp(6)))
    assert sigmoid_beta[T // 2] == pytest.approx((1e-4 + 2e-2) / 2, rel=1e-2)
    alphabar = SigmoidAlphaBarSchedule().reference_alphas_cumprod(T)
    expected_mid = (1 / (1 + math.exp(-3)) - 0.5) / (1 / (1 + math.exp(-3)) - 1 / (1 + math.exp(3)))
    assert alphabar[T // 2 - 1] == pytest.approx(expected_mid, rel=1e-2)
    assert SigmoidAlphaBarSchedule().reference_betas(T)[-1] == 0.999


def test_given_betas_ignores_timesteps():
    spec = GivenBetasSchedule(betas=[0.1, 0.2, 0.3])
    assert spec.uses_timesteps is False
    assert spec.reference_betas(1000) == [0.1, 0.2, 0.3]


@pytest.mark.parametrize("name", [n for n in BUILTINS if n != "given_betas"])
def test_zero_terminal_snr_reference(name):
    cls = SCHEDULES.get(name)
    plain, rescaled = cls().reference_alphas_cumprod(1000), cls(zero_terminal_snr=True).reference_alphas_cumprod(1000)
    assert rescaled[-1] == 0.0 and cls(zero_terminal_snr=True).reference_betas(1000)[-1] == 1.0
    assert rescaled[0] == pytest.approx(plain[0], rel=1e-12)
    root_plain, root = np.sqrt(plain), np.sqrt(rescaled)  # sqrt(alpha_bar) is an affine map of the original
    slope = (root[0] - root[-2]) / (root_plain[0] - root_plain[-2])
    assert np.allclose(root, (root_plain - root_plain[-1]) * slope, rtol=1e-9, atol=1e-12)


def test_declared_problems():
    assert LinearSchedule().check(1000) == []
    assert "timesteps >= 2" in LinearSchedule().check(1)[0]
    assert "scales linear_end" in IDDPMLinearSchedule().check(10)[0]
    with pytest.raises(ValueError, match="scales linear_end"):
        IDDPMLinearSchedule().reference_betas(10)
    assert "T >= 3" in LinearSchedule(zero_terminal_snr=True).check(2)[0]
    assert "underflows" in SqrtSchedule(linear_end=0.5).check(1000)[0]
    assert "float32" in GivenBetasSchedule(betas=[1e-9, 1e-9, 0.5]).check(3)[0]
    assert SqrtLinearSchedule(linear_start=1e-6, linear_end=1e-6).check(1000) == []  # MIN_BETA is safe
    assert GivenBetasSchedule(betas=[0.5] * 2000).check(2000)  # alpha_bar underflows


def test_beta_problems_helper():
    assert beta_problems([0.1]) and beta_problems([0.1, 1.0]) and beta_problems([0.1, math.nan])
    assert beta_problems([0.1, 0.2, 1.0], zero_terminal_snr=True) == []
    assert beta_problems([0.1, 1.0, 0.5], zero_terminal_snr=True)


def test_linspace_endpoints_exact():
    values = linspace(0.1, 0.7, 7)
    assert values[0] == 0.1 and values[-1] == 0.7 and len(values) == 7
    with pytest.raises(ValueError):
        linspace(0.0, 1.0, 1)
