"""Schedule buffers and lvlb weights against upstream register_schedule numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ddpm_kit.components.schedules.base_impl import make_betas
from ddpm_kit.diffusion.buffers import (
    BUFFER_NAMES, lvlb_weights, register_schedule, schedule_buffers, schedule_buffers_f64,
)
from ddpm_kit.components.schedules.linear import LinearSchedule
from tests.diffusion.vectors import as_float, schedule_arrays, schedule_cases, spec_for

CASES = sorted(schedule_cases())
SCHEDULE_ARRAYS = ("betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_recip_alphas_cumprod",
                   "sqrt_recipm1_alphas_cumprod", "posterior_mean_coef1", "posterior_mean_coef2")
POSTERIOR_ARRAYS = ("posterior_variance", "posterior_log_variance_clipped")


def _betas(case: str) -> torch.Tensor:
    config = schedule_cases()[case]["config"]
    return make_betas(spec_for(config), config["timesteps"])


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def test_every_case_is_covered():
    assert len(CASES) == 11
    assert {schedule_cases()[c]["config"]["beta_schedule"] for c in CASES} == {
        "linear", "cosine", "sqrt_linear", "sqrt", "squaredcos_cap_v2"
    }


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("v_posterior", ["0.0", "0.1"])
def test_buffers_match_upstream(case, v_posterior):
    arrays = schedule_arrays()
    betas = _betas(case)
    f64 = schedule_buffers_f64(betas, float(v_posterior))
    f32 = schedule_buffers(betas, float(v_posterior))
    assert tuple(f32) == BUFFER_NAMES
    assert all(value.dtype == torch.float32 for value in f32.values())
    expected = {name: arrays[f"{case}/{name}"] for name in SCHEDULE_ARRAYS}
    expected |= {name: arrays[f"{case}/v{v_posterior}/{name}"] for name in POSTERIOR_ARRAYS}
    for name, reference in expected.items():
        assert _rel(f64[name].numpy(), reference) <= 1e-12, name
        assert np.array_equal(f32[name].numpy(), reference.astype(np.float32)), name
    # the buffers the vectors do not store, from their definitions on the stored alpha_bar
    alpha_bar = expected["alphas_cumprod"]
    for name, value in {
        "sqrt_alphas_cumprod": np.sqrt(alpha_bar),
        "sqrt_one_minus_alphas_cumprod": np.sqrt(1 - alpha_bar),
        "log_one_minus_alphas_cumprod": np.log(1 - alpha_bar),
    }.items():
        assert np.array_equal(f32[name].numpy(), value.astype(np.float32)), name


def test_posterior_log_variance_at_t0_is_log_1e_minus_20():
    buffers = schedule_buffers(make_betas(LinearSchedule(), 10), 0.0)
    assert float(buffers["posterior_variance"][0]) == 0.0
    assert float(buffers["posterior_log_variance_clipped"][0]) == pytest.approx(math.log(1e-20), rel=1e-7)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("v_posterior", ["0.0", "0.1"])
@pytest.mark.parametrize("parameterization", ["eps", "x0", "v"])
def test_lvlb_weights_compvis_exact(case, v_posterior, parameterization):
    betas = _betas(case)
    buffers = schedule_buffers(betas, float(v_posterior))
    weights = lvlb_weights(buffers, parameterization, "compvis", betas_f64=betas)
    reference = schedule_arrays()[f"{case}/v{v_posterior}/{parameterization}/lvlb_weights"]
    assert weights.dtype == torch.float32
    assert np.array_equal(weights.numpy(), reference)


@pytest.mark.parametrize("case", CASES)
def test_lvlb_raw_index0_before_overwrite(case):
    """Upstream's raw w[0] (inf for eps with v_posterior = 0) is replaced by w[1]."""
    raw = schedule_cases()[case]["by_v_posterior"]["0.0"]["eps"]["lvlb_weights_raw0"]
    assert math.isinf(as_float(raw))
    betas = _betas(case)
    weights = lvlb_weights(schedule_buffers(betas), "eps", betas_f64=betas)
    assert torch.isfinite(weights).all() and weights[0] == weights[1]


def test_lvlb_corrected_x0_uses_two_times_one_minus_alpha_bar():
    betas = make_betas(LinearSchedule(), 1000)
    buffers = schedule_buffers(betas)
    alpha_bar = buffers["alphas_cumprod"].double()
    compvis = lvlb_weights(buffers, "x0", "compvis", betas_f64=betas).double()
    corrected = lvlb_weights(buffers, "x0", "corrected", betas_f64=betas).double()
    torch.testing.assert_close(compvis[1:], 0.5 * alpha_bar[1:].sqrt() / (2 - alpha_bar[1:]), rtol=1e-6, atol=0)
    torch.testing.assert_close(corrected[1:], 0.5 * alpha_bar[1:].sqrt() / (2 * (1 - alpha_bar[1:])), rtol=1e-6, atol=0)
    assert corrected[0] == corrected[1]
    for parameterization in ("eps", "v"):
        assert torch.equal(
            lvlb_weights(buffers, parameterization, "corrected", betas_f64=betas),
            lvlb_weights(buffers, parameterization, "compvis", betas_f64=betas),
        )


def test_lvlb_rejects_unknown_names():
    betas = make_betas(LinearSchedule(), 10)
    buffers = schedule_buffers(betas)
    with pytest.raises(ValueError, match="parameterization"):
        lvlb_weights(buffers, "score", betas_f64=betas)
    with pytest.raises(ValueError, match="variant"):
        lvlb_weights(buffers, "eps", "fixed", betas_f64=betas)  # type: ignore[arg-type]


def test_register_schedule_bundles_everything():
    betas = make_betas(LinearSchedule(), 10)
    schedule = register_schedule(betas, v_posterior=0.0, parameterization="x0")
    assert schedule.num_timesteps == 10
    assert tuple(schedule.buffers) == BUFFER_NAMES
    assert torch.equal(schedule.lvlb_weights, lvlb_weights(schedule.buffers, "x0", betas_f64=betas))


def test_schedule_buffers_validate_input():
    with pytest.raises(TypeError, match="float64"):
        schedule_buffers(torch.linspace(1e-4, 2e-2, 10))
    with pytest.raises(ValueError, match="at least 2"):
        schedule_buffers(torch.tensor([0.1], dtype=torch.float64))
