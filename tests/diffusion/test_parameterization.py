"""Forward process, parameterization conversions and the posterior: formulas and sign conventions."""

from __future__ import annotations

import pytest
import torch

from ddpm_kit.components.schedules.base_impl import make_betas
from ddpm_kit.diffusion import (
    extract, get_v, p_mean_variance, predict_eps_from_z_and_v, predict_start_from_noise,
    predict_start_from_z_and_v, predict_x0, q_mean_variance, q_posterior, q_sample, schedule_buffers,
    schedule_buffers_f64, snr, split_output, training_target,
)
from ddpm_kit.components.schedules.cosine import CosineSchedule
from ddpm_kit.components.schedules.linear import LinearSchedule

T = 50


@pytest.fixture(scope="module")
def buffers64():
    return schedule_buffers_f64(make_betas(CosineSchedule(), T), 0.0)


@pytest.fixture(scope="module")
def buffers32():
    return schedule_buffers(make_betas(LinearSchedule(), T), 0.0)


def _data(shape=(6, 2, 3, 3), dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    x0 = torch.randn(shape, generator=g, dtype=dtype)
    noise = torch.randn(shape, generator=g, dtype=dtype)
    t = torch.randint(0, T, (shape[0],), generator=g)
    return x0, noise, t


def test_extract_gathers_and_reshapes():
    a = torch.arange(10.0)
    out = extract(a, torch.tensor([3, 0, 9]), (3, 2, 5, 5))
    assert out.shape == (3, 1, 1, 1)
    assert out.flatten().tolist() == [3.0, 0.0, 9.0]
    assert extract(a, torch.tensor([1, 2]), (2, 7)).shape == (2, 1)


def test_q_sample_and_q_mean_variance(buffers64):
    x0, noise, t = _data()
    alpha_bar = buffers64["alphas_cumprod"][t].reshape(-1, 1, 1, 1)
    expected = alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise
    torch.testing.assert_close(q_sample(x0, t, noise, buffers64), expected, rtol=1e-12, atol=1e-12)
    mean, variance, log_variance = q_mean_variance(x0, t, buffers64)
    torch.testing.assert_close(mean, alpha_bar.sqrt() * x0, rtol=1e-12, atol=0)
    torch.testing.assert_close(variance, 1 - alpha_bar, rtol=1e-12, atol=0)
    torch.testing.assert_close(log_variance, (1 - alpha_bar).log(), rtol=1e-12, atol=0)


def test_v_sign_conventions_match_stable_diffusion(buffers64):
    """v = sqrt(ab) eps - sqrt(1 - ab) x0; x0 = sqrt(ab) x_t - sqrt(1 - ab) v; eps = sqrt(ab) v + sqrt(1 - ab) x_t."""
    x0, noise, t = _data()
    a = buffers64["sqrt_alphas_cumprod"][t].reshape(-1, 1, 1, 1)
    s = buffers64["sqrt_one_minus_alphas_cumprod"][t].reshape(-1, 1, 1, 1)
    v = get_v(x0, noise, t, buffers64)
    torch.testing.assert_close(v, a * noise - s * x0, rtol=1e-12, atol=1e-12)
    x_t = q_sample(x0, t, noise, buffers64)
    torch.testing.assert_close(predict_start_from_z_and_v(x_t, t, v, buffers64), x0, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(predict_eps_from_z_and_v(x_t, t, v, buffers64), noise, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(predict_start_from_noise(x_t, t, noise, buffers64), x0, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("parameterization", ["eps", "x0", "v"])
def test_predict_x0_and_training_target_agree(buffers64, parameterization):
    x0, noise, t = _data()
    x_t = q_sample(x0, t, noise, buffers64)
    target = training_target(parameterization, x0, noise, t, buffers64)
    expected = {"eps": noise, "x0": x0, "v": get_v(x0, noise, t, buffers64)}[parameterization]
    assert torch.equal(target, expected)
    torch.testing.assert_close(predict_x0(target, x_t, t, parameterization, buffers64), x0, rtol=1e-8, atol=1e-8)
    a = buffers64["sqrt_alphas_cumprod"][t].reshape(-1, 1, 1, 1)
    s = buffers64["sqrt_one_minus_alphas_cumprod"][t].reshape(-1, 1, 1, 1)
    x0_hat, eps_hat = split_output(target, x_t, a, s, parameterization)
    torch.testing.assert_close(x0_hat, x0, rtol=1e-8, atol=1e-8)
    torch.testing.assert_close(eps_hat, noise, rtol=1e-8, atol=1e-8)


def test_unknown_parameterization_is_an_error(buffers64):
    x0, noise, t = _data()
    with pytest.raises(ValueError, match="parameterization"):
        training_target("score", x0, noise, t, buffers64)
    with pytest.raises(ValueError, match="parameterization"):
        predict_x0(x0, x0, t, "epsilon", buffers64)


def test_q_posterior_matches_bayes(buffers64):
    """mu_tilde = coef1 x0 + coef2 x_t equals the product-of-Gaussians mean; sigma^2 = beta (1 - ab_prev)/(1 - ab)."""
    x0, noise, t = _data()
    t = t.clamp(min=1)
    x_t = q_sample(x0, t, noise, buffers64)
    mean, variance, log_variance = q_posterior(x0, x_t, t, buffers64)
    beta = buffers64["betas"][t].reshape(-1, 1, 1, 1)
    ab = buffers64["alphas_cumprod"][t].reshape(-1, 1, 1, 1)
    ab_prev = buffers64["alphas_cumprod_prev"][t].reshape(-1, 1, 1, 1)
    expected_mean = (ab_prev.sqrt() * beta * x0 + (1 - beta).sqrt() * (1 - ab_prev) * x_t) / (1 - ab)
    torch.testing.assert_close(mean, expected_mean, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(variance.expand_as(x0), (beta * (1 - ab_prev) / (1 - ab)).expand_as(x0))
    torch.testing.assert_close(log_variance, variance.log(), rtol=1e-12, atol=0)


@pytest.mark.parametrize("parameterization", ["eps", "x0", "v"])
def test_p_mean_variance_with_exact_output_is_the_posterior(buffers32, parameterization):
    """Every parameterization, v included (upstream's ancestral sampler crashes on v)."""
    x0, noise, t = _data(dtype=torch.float32)
    x0 = x0.clamp(-1, 1)
    x_t = q_sample(x0, t, noise, buffers32)
    output = training_target(parameterization, x0, noise, t, buffers32)
    mean, variance, log_variance = p_mean_variance(output, x_t, t, parameterization, buffers32, clip_denoised=False)
    expected = q_posterior(x0, x_t, t, buffers32)
    torch.testing.assert_close(mean, expected[0], rtol=1e-4, atol=1e-4)
    assert torch.equal(variance, expected[1]) and torch.equal(log_variance, expected[2])


def test_p_mean_variance_clips_x0(buffers32):
    x_t = torch.zeros(2, 1, 2, 2)
    t = torch.tensor([5, 5])
    big = torch.full_like(x_t, 3.0)
    clipped, _, _ = p_mean_variance(big, x_t, t, "x0", buffers32, clip_denoised=True)
    one, _, _ = p_mean_variance(torch.ones_like(x_t), x_t, t, "x0", buffers32, clip_denoised=False)
    assert torch.equal(clipped, one)


def test_snr(buffers32):
    t = torch.tensor([0, T - 1])
    alpha_bar = buffers32["alphas_cumprod"].double()[t]
    torch.testing.assert_close(snr(t, buffers32), alpha_bar / (1 - alpha_bar))
    assert snr(t, buffers32).dtype == torch.float64
