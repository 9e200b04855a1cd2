"""Stochastic samplers recover the data distribution N(MU, STD^2) with the exact denoiser; seeds and x_T."""

from __future__ import annotations

import pytest
import torch

from ddpm_kit.components.schedules.base_impl import make_betas
from ddpm_kit.components.schedules.linear import LinearSchedule
from ddpm_kit.diffusion.buffers import schedule_buffers
from ddpm_kit.registry import SAMPLERS
from tests.components.samplers.test_impl import MU, STD, gaussian_oracle

CASES = {  # name -> (spec options, relative std tolerance); mean within 0.01; 8192 samples, fixed seed
    "euler_ancestral": ({"steps": 200}, 0.04),  # first order: 30 steps give std 0.168 for 0.2
    "dpmpp_2s_ancestral": ({"steps": 40}, 0.04),
    "dpmpp_2m_sde": ({"steps": 40}, 0.04),
    "dpmpp_2m_sde-heun": ({"steps": 40, "solver_type": "heun"}, 0.04),
    "dpmpp_3m_sde": ({"steps": 40}, 0.04),
    "dpmpp_3m_sde_o3": ({"steps": 40}, 0.04),
    "heun-churn": ({"steps": 40, "s_churn": 20.0}, 0.04),
}


@pytest.fixture(scope="module")
def buffers():
    return schedule_buffers(make_betas(LinearSchedule(), 1000))


@pytest.mark.parametrize("case", list(CASES))
def test_recovers_mean_and_std(case, buffers):
    options, tolerance = CASES[case]
    spec = SAMPLERS.get(case.split("-")[0])(**options)
    samples, _ = spec.load_impl()(spec).sample(gaussian_oracle(buffers, "v"), buffers, (8192, 1),
                                               parameterization="v", clip_denoised=False,
                                               generator=torch.Generator().manual_seed(0))
    mean, std = float(samples.mean()), float(samples.std())
    assert abs(mean - MU) <= 0.01 and abs(std - STD) <= tolerance * STD, (case, mean, std)


@pytest.mark.parametrize("name", ["euler_ancestral", "dpmpp_2s_ancestral", "dpmpp_2m_sde", "dpmpp_3m_sde",
                                  "dpmpp_3m_sde_o3"])
def test_noise_follows_the_generator_and_eta_zero_is_deterministic(name, buffers):
    x_T = torch.randn(64, 2, generator=torch.Generator().manual_seed(5))
    spec, quiet = SAMPLERS.get(name)(steps=10), SAMPLERS.get(name)(steps=10, eta=0.0)
    assert spec.stochastic

    def run(spec, seed):
        return spec.load_impl()(spec).sample(gaussian_oracle(buffers, "eps"), buffers, (64, 2), parameterization="eps",
                                             clip_denoised=False, generator=torch.Generator().manual_seed(seed),
                                             x_T=x_T)[0]

    assert torch.equal(run(spec, 1), run(spec, 1)) and not torch.equal(run(spec, 1), run(spec, 2))
    assert torch.equal(run(quiet, 1), run(quiet, 2))
