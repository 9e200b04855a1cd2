"""weight_table: a model's loss weights, w(SNR(t)) from the spec's formula at every timestep, built once."""

from __future__ import annotations

import math
from typing import Literal

import pytest
import torch

from ddpm_kit.components.schedules.base_impl import make_betas
from ddpm_kit.components.weightings.base_impl import weight_table
from ddpm_kit.diffusion.buffers import schedule_buffers
from ddpm_kit.registry import WeightingSpec
from ddpm_kit.components.schedules.linear import LinearSchedule
from ddpm_kit.components.weightings.min_snr import MinSNRWeighting
from ddpm_kit.components.weightings.none import NoWeighting
from ddpm_kit.components.weightings.p2 import P2Weighting

SPECS = [NoWeighting(), MinSNRWeighting(), MinSNRWeighting(gamma=0.5), P2Weighting(), P2Weighting(gamma=0.5, k=2.0),
         P2Weighting(gamma=2.0), P2Weighting(gamma=0.0)]


def alphas_cumprod(zero_terminal_snr: bool = False, timesteps: int = 1000) -> torch.Tensor:
    betas = make_betas(LinearSchedule(zero_terminal_snr=zero_terminal_snr), timesteps)
    return schedule_buffers(betas)["alphas_cumprod"]  # float32, as the module holds it


@pytest.mark.parametrize("spec", SPECS, ids=repr)
@pytest.mark.parametrize("parameterization", ["eps", "x0", "v"])
@pytest.mark.parametrize("zero_terminal_snr", [False, True])
def test_table_is_the_formula_at_each_timesteps_snr(spec, parameterization, zero_terminal_snr):
    ab = alphas_cumprod(zero_terminal_snr)
    table = weight_table(spec, ab, parameterization)
    assert table.shape == (1000,) and table.dtype == torch.float64 and bool(torch.isfinite(table).all())
    for t in (0, 1, 499, 998, 999):
        a = float(ab[t])
        assert table[t].item() == spec.weight_reference(a / (1.0 - a), parameterization)


def test_snr_is_inf_where_alpha_bar_rounds_to_one_and_zero_at_zero_terminal_snr():
    ab = torch.tensor([1.0, 0.5, 0.0])
    assert weight_table(MinSNRWeighting(gamma=5.0), ab, "x0").tolist() == [5.0, 1.0, 0.0]
    assert weight_table(MinSNRWeighting(gamma=5.0), ab, "eps").tolist() == [0.0, 1.0, 1.0]


class _Negative(WeightingSpec):
    """A weighting that gives a negative weight where SNR > 1 (for the error test)."""

    name: Literal["test_negative"] = "test_negative"

    def weight_reference(self, snr: float, parameterization: str) -> float:
        return -1.0 if snr > 1 else 1.0


def test_bad_weights_and_parameterizations_are_errors_naming_the_weighting():
    with pytest.raises(ValueError, match=r"'test_negative' gave weights that are not finite and >= 0 at t=\[0"):
        weight_table(_Negative(), alphas_cumprod(), "eps")
    with pytest.raises(ValueError, match="unknown parameterization 'epsilon'"):
        weight_table(MinSNRWeighting(), alphas_cumprod(), "epsilon")


def test_min_snr_reaches_its_limits():
    spec = MinSNRWeighting(gamma=5.0)
    assert [spec.weight_reference(0.0, p) for p in ("x0", "eps", "v")] == [0.0, 1.0, 0.0]
    assert [spec.weight_reference(math.inf, p) for p in ("x0", "eps", "v")] == [5.0, 0.0, 0.0]
