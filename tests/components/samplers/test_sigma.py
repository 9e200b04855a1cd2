"""Sigma-space samplers on the discrete schedule: levels, spacings, trailing at zero terminal SNR, NFE."""

from __future__ import annotations

import math

import pytest
import torch

from ddpm_kit.components.samplers.spacings import discrete_sigmas, karras_sigmas, sampler_sigmas, sigma_to_t
from ddpm_kit.components.schedules.base_impl import make_betas
from ddpm_kit.components.schedules.cosine import CosineSchedule
from ddpm_kit.components.schedules.linear import LinearSchedule
from ddpm_kit.diffusion.buffers import schedule_buffers
from ddpm_kit.registry import SAMPLERS
from tests.components.samplers.test_impl import gaussian_oracle

SIGMA_SAMPLERS = ["euler", "euler_ancestral", "heun", "dpmpp_2s_ancestral", "dpmpp_2m_sde", "dpmpp_3m_sde",
                  "dpmpp_3m_sde_o3", "unipc"]


def test_karras_sigmas_follow_eq_5():
    sigmas = karras_sigmas(5, 0.002, 80.0, rho=7.0)
    assert sigmas[0] == pytest.approx(80.0) and sigmas[-1] == pytest.approx(0.002)
    ramp = [(s ** (1 / 7) - 80.0 ** (1 / 7)) / (0.002 ** (1 / 7) - 80.0 ** (1 / 7)) for s in sigmas]
    assert ramp == pytest.approx([0, 0.25, 0.5, 0.75, 1])


def test_karras_levels_default_to_the_schedule_range_and_map_to_the_nearest_t():
    alpha_bar = LinearSchedule().reference_alphas_cumprod(1000)
    table = discrete_sigmas(alpha_bar)
    assert table[10] == pytest.approx(math.sqrt((1 - alpha_bar[10]) / alpha_bar[10]))
    sigmas, taus = sampler_sigmas("karras", 10, alpha_bar)
    assert sigmas[0] == pytest.approx(table[-1]) and sigmas[-1] == pytest.approx(table[0])
    assert taus[0] == 999 and taus[-1] == 0
    for sigma, t in zip(sigmas, taus):
        assert all(abs(math.log(table[t] / sigma)) <= abs(math.log(table[u] / sigma)) for u in range(1000))
    assert sigma_to_t(table[123], table) == 123


def test_trailing_starts_at_T_minus_1():
    alpha_bar = LinearSchedule().reference_alphas_cumprod(1000)
    _, taus = sampler_sigmas("trailing", 10, alpha_bar)
    assert taus[0] == 999 and taus == sorted(taus, reverse=True)
    spec = SAMPLERS.get("euler")(steps=10, spacing="trailing")
    buffers = schedule_buffers(make_betas(LinearSchedule(), 1000))
    assert spec.load_impl()(spec).plan(buffers, "v")[0].t == 999


@pytest.mark.parametrize("name", SIGMA_SAMPLERS)
@pytest.mark.parametrize("spacing", ["trailing", "karras"])
def test_v_model_at_zero_terminal_snr_samples_without_nan(name, spacing):
    buffers = schedule_buffers(make_betas(CosineSchedule(zero_terminal_snr=True), 1000))
    assert float(buffers["alphas_cumprod"][-1]) == 0.0
    spec = SAMPLERS.get(name)(steps=15, spacing=spacing)
    calls = []
    oracle = gaussian_oracle(buffers, "v")

    def network(x, t):
        calls.append(int(t[0]))
        return oracle(x, t)

    samples, _ = spec.load_impl()(spec).sample(network, buffers, (256, 2), parameterization="v",
                                               clip_denoised=False, generator=torch.Generator().manual_seed(0))
    assert torch.isfinite(samples).all() and calls[0] == 999
    assert len(calls) == spec.num_steps(1000)


def test_eps_model_at_zero_terminal_snr_is_refused():
    buffers = schedule_buffers(make_betas(CosineSchedule(zero_terminal_snr=True), 100))
    spec = SAMPLERS.get("euler")(steps=5)
    with pytest.raises(ValueError, match="zero terminal SNR"):
        spec.load_impl()(spec).sample(gaussian_oracle(buffers, "eps"), buffers, (2, 2), parameterization="eps",
                                      clip_denoised=False, generator=None)


@pytest.mark.parametrize("name,per_step", [("euler", 1), ("heun", 2), ("dpmpp_2s_ancestral", 2), ("unipc", 1)])
def test_network_evaluations(name, per_step):
    spec = SAMPLERS.get(name)(steps=7)
    assert spec.evaluations_per_step == per_step and spec.num_steps(1000) == per_step * 6 + 1


def test_intermediates_are_in_x_t_scale():
    """Point-mass data p: Euler is exact, x_sigma_k - p = (x_sigma_0 - p) sigma_k / sigma_0, and intermediates
    are x_t = x_sigma / sqrt(1 + sigma^2) (x_T first)."""
    from ddpm_kit.testing.conformance.sampling import point_mass_denoiser

    buffers = schedule_buffers(make_betas(LinearSchedule(), 100))
    point = torch.tensor([[0.5, -0.25]])
    spec = SAMPLERS.get("euler")(steps=5, spacing="linspace")
    sampler = spec.load_impl()(spec)
    x_T = torch.randn(3, 2, generator=torch.Generator().manual_seed(0))
    samples, inter = sampler.sample(point_mass_denoiser(point, buffers, "eps", []), buffers, (3, 2),
                                    parameterization="eps", clip_denoised=False, generator=None, x_T=x_T,
                                    log_every_t=1)
    sigmas = [step.info["sigma"] for step in sampler.plan(buffers, "eps")]
    start = x_T * math.sqrt(1 + sigmas[0] ** 2)
    assert len(inter) == 6 and torch.equal(inter[0], x_T) and torch.equal(inter[-1], samples)
    for k in range(1, 5):
        expected = (point + (start - point) * sigmas[k] / sigmas[0]) / math.sqrt(1 + sigmas[k] ** 2)
        torch.testing.assert_close(inter[k], expected, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(samples, point.expand(3, 2), rtol=0, atol=1e-5)


def test_spec_errors():
    from pydantic import ValidationError

    assert SAMPLERS.get("heun")(steps=101).check(100)
    with pytest.raises(ValidationError, match="sigma_min"):
        SAMPLERS.get("euler")(sigma_min=5.0, sigma_max=1.0)
    with pytest.raises(ValidationError, match="karras"):
        SAMPLERS.get("euler")(spacing="linspace", sigma_max=10.0)
    with pytest.raises(ValidationError, match="eta"):
        SAMPLERS.get("euler")(eta=0.5)
