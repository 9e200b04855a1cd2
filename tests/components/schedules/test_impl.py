"""make_betas and the torch float64 schedule implementations."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import pytest
import torch

from ddpm_kit.components.schedules.base import RescalableScheduleSpec, rescale_zero_terminal_snr
from ddpm_kit.components.schedules.base_impl import make_betas
from ddpm_kit.components.schedules.given_betas import GivenBetasSchedule
from ddpm_kit.components.schedules.iddpm_linear import IDDPMLinearSchedule
from ddpm_kit.components.schedules.linear import LinearSchedule, ScaledLinearSchedule
from ddpm_kit.registry import SCHEDULES
from tests.diffusion.vectors import schedule_arrays, schedule_cases, spec_for

# The stored betas were computed by upstream's code on one machine. torch's float64 cos and pow round the last
# bit differently on different CPUs (its vector kernels: measured 4 of the 1000 cosine betas, 19 of the sqrt
# ones, up to 1.1e-13 relative on an AVX-512 Xeon), so the stored arrays are matched to rtol 1e-12 everywhere,
# and bit for bit against upstream's operations (``make_beta_schedule``, written out below from the reference
# spec, section 4) run on this machine. Schedules computed with Python's math (squaredcos_cap_v2) are
# bitwise against the stored arrays.
TORCH_SCHEDULES = ("linear", "cosine", "sqrt_linear", "sqrt")


def upstream_make_beta_schedule(schedule: str, n_timestep: int, linear_start: float, linear_end: float,
                                cosine_s: float) -> np.ndarray:
    """CompVis ``make_beta_schedule``: the same torch float64 operations in the same order."""
    if schedule == "linear":
        betas = torch.linspace(linear_start**0.5, linear_end**0.5, n_timestep, dtype=torch.float64) ** 2
    elif schedule == "cosine":
        timesteps = torch.arange(n_timestep + 1, dtype=torch.float64) / n_timestep + cosine_s
        alphas = torch.cos(timesteps / (1 + cosine_s) * np.pi / 2).pow(2)
        alphas = alphas / alphas[0]
        betas = torch.from_numpy(np.clip((1 - alphas[1:] / alphas[:-1]).numpy(), a_min=0, a_max=0.999))
    elif schedule == "sqrt_linear":
        betas = torch.linspace(linear_start, linear_end, n_timestep, dtype=torch.float64)
    else:  # sqrt
        betas = torch.linspace(linear_start, linear_end, n_timestep, dtype=torch.float64) ** 0.5
    return betas.numpy()


@pytest.mark.parametrize("case", sorted(schedule_cases()))
def test_betas_bitwise_upstream(case):
    """Same torch operations as upstream make_beta_schedule: float64 betas equal bitwise on this machine,
    and the stored upstream arrays to rtol 1e-12."""
    config = schedule_cases()[case]["config"]
    betas = make_betas(spec_for(config), config["timesteps"])
    assert betas.dtype == torch.float64
    reference = schedule_arrays()[f"{case}/betas"]
    np.testing.assert_allclose(betas.numpy(), reference, rtol=1e-12, atol=0)
    name = config["beta_schedule"]
    if name in TORCH_SCHEDULES:
        upstream = upstream_make_beta_schedule(name, config["timesteps"], config["linear_start"],
                                               config["linear_end"], config["cosine_s"])
        assert np.array_equal(betas.numpy(), upstream)
    else:
        assert np.array_equal(betas.numpy(), reference)


def test_scaled_linear_is_linear():
    spec = dict(linear_start=0.00085, linear_end=0.012)
    assert torch.equal(make_betas(ScaledLinearSchedule(**spec), 1000), make_betas(LinearSchedule(**spec), 1000))


@pytest.mark.parametrize("name", [n for n in SCHEDULES.names() if n != "given_betas"])
@pytest.mark.parametrize("zero_terminal_snr", [False, True])
@pytest.mark.parametrize("timesteps", [3, 50, 1000])
def test_torch_matches_reference(name, zero_terminal_snr, timesteps):
    spec = SCHEDULES.get(name)(zero_terminal_snr=zero_terminal_snr)
    if spec.check(timesteps):
        pytest.skip(f"declared: {spec.check(timesteps)}")
    betas = make_betas(spec, timesteps)
    reference = torch.tensor(spec.reference_betas(timesteps), dtype=torch.float64)
    assert betas.shape == (timesteps,)
    torch.testing.assert_close(betas, reference, rtol=1e-9, atol=1e-15)
    if zero_terminal_snr:
        assert float(betas[-1]) == 1.0 and float(torch.cumprod(1 - betas, 0)[-1]) == 0.0


def test_rescale_keeps_first_alpha_bar_and_zeroes_the_last():
    betas = make_betas(LinearSchedule(), 1000)
    rescaled = torch.tensor(rescale_zero_terminal_snr(betas.tolist()), dtype=torch.float64)
    before, after = torch.cumprod(1 - betas, 0), torch.cumprod(1 - rescaled, 0)
    assert float(after[-1]) == 0.0
    torch.testing.assert_close(after[0], before[0], rtol=1e-12, atol=0)
    assert bool((after[1:] < after[:-1]).all())


def test_given_betas_roundtrip():
    values = [0.001, 0.01, 0.1, 0.2]
    betas = make_betas(GivenBetasSchedule(betas=values), 1000)  # T is ignored: uses_timesteps = False
    assert betas.tolist() == values and betas.dtype == torch.float64


def test_iddpm_linear_small_t_is_an_error():
    with pytest.raises(ValueError, match="scales linear_end"):
        make_betas(IDDPMLinearSchedule(), 10)


def test_timesteps_below_two_is_an_error():
    with pytest.raises(ValueError, match=">= 2"):
        make_betas(LinearSchedule(), 1)


class _Plugin(RescalableScheduleSpec):
    """A test plugin whose torch twin returns whatever the test puts in ``result``."""

    name: Literal["test_plugin"] = "test_plugin"
    impl: ClassVar[str] = "tests.components.schedules.test_impl:_twin"
    result: ClassVar[object] = None

    def load_impl(self):
        return lambda spec, timesteps: type(self).result


@pytest.mark.parametrize(
    ("result", "error"),
    [
        ([0.1, 0.2], TypeError),
        (torch.tensor([0.1, 0.2]), TypeError),  # float32
        (torch.tensor([[0.1, 0.2]], dtype=torch.float64), TypeError),
        (torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64), ValueError),  # wrong length
        (torch.tensor([0.1, 1.5], dtype=torch.float64), ValueError),
        (torch.tensor([0.0, 0.5], dtype=torch.float64), ValueError),
        (torch.tensor([0.1, float("nan")], dtype=torch.float64), ValueError),
    ],
)
def test_make_betas_rejects_bad_twins(result, error):
    _Plugin.result = result
    with pytest.raises(error, match="test_plugin"):
        make_betas(_Plugin(), 2)


def test_schedules_without_a_twin_register_their_formula():
    for name in SCHEDULES.names():
        spec = SCHEDULES.get(name)(**({"betas": [0.1, 0.2, 0.3]} if name == "given_betas" else {}))
        if not spec.impl:
            assert make_betas(spec, 50).tolist() == spec.reference_betas(50), name
    twins = sorted(n for n in SCHEDULES.names() if SCHEDULES.get(n).impl)
    assert twins == ["cosine", "linear", "scaled_linear", "sqrt", "sqrt_linear"]  # CompVis computes these in torch
