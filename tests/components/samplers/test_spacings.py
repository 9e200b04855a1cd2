"""Timestep spacings (``ddim_timesteps``): upstream's and diffusers' meanings, and DDIM on them."""

from __future__ import annotations

import pytest
import torch

from ddpm_kit.components.samplers.ddim import DDIMSamplerSpec
from ddpm_kit.components.samplers.spacings import ddim_timesteps
from ddpm_kit.components.schedules.base_impl import make_betas
from ddpm_kit.components.schedules.cosine import CosineSchedule
from ddpm_kit.diffusion import schedule_buffers

# Lin et al. 2024, "Common Diffusion Noise Schedules and Sample Steps are Flawed", table 2 (T=1000, S=10,
# printed 1-based there): diffusers DDIMScheduler.set_timesteps(10) with steps_offset 0, ascending.
DIFFUSERS_T1000_S10 = {
    "leading": [0, 100, 200, 300, 400, 500, 600, 700, 800, 900],  # arange(0, S) * (T // S)
    "linspace": [0, 111, 222, 333, 444, 555, 666, 777, 888, 999],  # round(linspace(0, T - 1, S))
    "trailing": [99, 199, 299, 399, 499, 599, 699, 799, 899, 999],  # round(arange(T, 0, -T / S)) - 1
}
# the same formulas worked by hand for other (T, S)
DIFFUSERS_OTHER = {
    ("leading", 1000, 3): [0, 333, 666],
    ("linspace", 1000, 3): [0, 500, 999],  # 499.5 rounds half to even
    ("trailing", 1000, 3): [332, 666, 999],  # 1000, 666.67, 333.33 -> 1000, 667, 333
    ("trailing", 20, 6): [2, 6, 9, 12, 16, 19],  # 20, 16.67, 13.33, 10, 6.67, 3.33 -> 20, 17, 13, 10, 7, 3
    ("linspace", 20, 6): [0, 4, 8, 11, 15, 19],  # 0, 3.8, 7.6, 11.4, 15.2, 19
}


@pytest.mark.parametrize("spacing", sorted(DIFFUSERS_T1000_S10))
def test_diffusers_spacings_match_their_definitions(spacing):
    assert ddim_timesteps(spacing, 10, 1000) == DIFFUSERS_T1000_S10[spacing]


@pytest.mark.parametrize("case", sorted(DIFFUSERS_OTHER))
def test_diffusers_spacings_other_sizes(case):
    spacing, T, S = case
    assert ddim_timesteps(spacing, S, T) == DIFFUSERS_OTHER[case]


@pytest.mark.parametrize("spacing", ["uniform", "leading", "linspace", "trailing"])
@pytest.mark.parametrize("T", [10, 37, 1000])
def test_exactly_s_distinct_increasing_timesteps_in_range(spacing, T):
    for S in range(1, T + 1):
        taus = ddim_timesteps(spacing, S, T)
        assert len(taus) == S and all(a < b for a, b in zip(taus, taus[1:])) and 0 <= taus[0] and taus[-1] < T


def test_trailing_starts_at_the_last_timestep():
    assert ddim_timesteps("trailing", 7, 1000)[-1] == 999


def test_steps_above_T_are_refused():
    with pytest.raises(ValueError, match="steps <= T"):
        ddim_timesteps("trailing", 11, 10)
    assert DDIMSamplerSpec(steps=11, spacing="trailing").check(10)


def test_unknown_spacing_names_the_known_ones():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="'trailing'"):
        DDIMSamplerSpec(spacing="trailling")


def test_v_model_at_zero_terminal_snr_samples_from_T_minus_1_without_nan():
    from tests.components.samplers.test_impl import gaussian_oracle

    buffers = schedule_buffers(make_betas(CosineSchedule(zero_terminal_snr=True), 1000))
    assert float(buffers["alphas_cumprod"][-1]) == 0.0
    spec = DDIMSamplerSpec(steps=20, spacing="trailing")
    samples, _ = spec.load_impl()(spec).sample(
        gaussian_oracle(buffers, "v"), buffers, (512, 4), parameterization="v", clip_denoised=False,
        generator=torch.Generator().manual_seed(0))
    assert torch.isfinite(samples).all()
