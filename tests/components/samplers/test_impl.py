"""Samplers: upstream DDIM numbers, upstream-style reference loops, and distribution recovery with an oracle."""

from __future__ import annotations

import pytest
import torch

from ddpm_kit.components.samplers.ddim import DDIMSamplerSpec
from ddpm_kit.components.samplers.ddim_impl import ddim_sampling_parameters
from ddpm_kit.components.samplers.ddpm import DDPMSamplerSpec
from ddpm_kit.components.samplers.dpmpp_2m import DPMSolverPP2MSamplerSpec
from ddpm_kit.components.samplers.dpmpp_2m_impl import log_snr, log_snr_uniform_timesteps
from ddpm_kit.components.schedules.base_impl import make_betas
from ddpm_kit.components.schedules.cosine import CosineSchedule
from ddpm_kit.components.schedules.linear import LinearSchedule
from ddpm_kit.diffusion import predict_eps_from_z_and_v, predict_start_from_z_and_v, schedule_buffers
from ddpm_kit.diffusion.posterior import p_mean_variance
from tests.diffusion.vectors import ddim_vectors

MU, STD = 0.3, 0.2  # the data distribution N(MU, STD^2), element-wise


def gaussian_oracle(buffers, parameterization):
    """The exact E[eps | x_t], E[x0 | x_t] or E[v | x_t] for x0 ~ N(MU, STD^2) (Gaussian conjugacy)."""
    alpha_bar_all = buffers["alphas_cumprod"].double()

    def denoiser(x, t):
        alpha_bar = alpha_bar_all[t].reshape(-1, *([1] * (x.dim() - 1)))  # [B, 1, ...]
        alpha, sigma = alpha_bar.sqrt(), (1 - alpha_bar).sqrt()
        centred = (x.double() - alpha * MU) / (alpha_bar * STD**2 + sigma**2)
        x0 = MU + alpha * STD**2 * centred
        eps = sigma * centred
        return {"eps": eps, "x0": x0, "v": alpha * eps - sigma * x0}[parameterization].to(x.dtype)

    return denoiser


def _buffers(spec, timesteps=1000):
    return schedule_buffers(make_betas(spec, timesteps))


def _sample(spec, buffers, parameterization, shape=(2048, 4), seed=0, **kwargs):
    sampler = spec.load_impl()(spec)
    kwargs.setdefault("clip_denoised", False)
    return sampler.sample(gaussian_oracle(buffers, parameterization), buffers, shape,
                          parameterization=parameterization, generator=torch.Generator().manual_seed(seed), **kwargs)


# ----------------------------------------------------------------------------------------- distribution recovery
SAMPLERS = {  # sampler -> relative std tolerance (mean: 0.01 absolute); 8192 samples, fixed seed
    "ddpm": (DDPMSamplerSpec(), 0.02),
    "ddim_eta0_200": (DDIMSamplerSpec(steps=200, eta=0.0), 0.02),
    "ddim_eta1_500": (DDIMSamplerSpec(steps=500, eta=1.0), 0.04),
    "dpmpp_2m_20": (DPMSolverPP2MSamplerSpec(steps=20), 0.04),
}


@pytest.fixture(scope="module")
def linear_buffers():
    return _buffers(LinearSchedule())


@pytest.mark.parametrize("parameterization", ["eps", "x0", "v"])
@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_recovers_gaussian_data(linear_buffers, name, parameterization):
    spec, tolerance = SAMPLERS[name]
    samples, _ = _sample(spec, linear_buffers, parameterization)
    assert abs(float(samples.mean()) - MU) < 0.01
    assert abs(float(samples.std()) / STD - 1) < tolerance


@pytest.mark.parametrize("parameterization", ["x0", "v"])
@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_recovers_gaussian_data_with_zero_terminal_snr(name, parameterization):
    buffers = _buffers(CosineSchedule(zero_terminal_snr=True))
    assert float(buffers["alphas_cumprod"][-1]) == 0.0
    spec, tolerance = SAMPLERS[name]
    samples, _ = _sample(spec, buffers, parameterization)
    assert abs(float(samples.mean()) - MU) < 0.01
    assert abs(float(samples.std()) / STD - 1) < tolerance


@pytest.mark.parametrize("spec", [DDPMSamplerSpec(), DDIMSamplerSpec(steps=10)], ids=["ddpm", "ddim"])
def test_eps_with_zero_terminal_snr_is_refused(spec):
    buffers = _buffers(LinearSchedule(zero_terminal_snr=True), 20)
    with pytest.raises(ValueError, match="zero terminal SNR"):
        _sample(spec, buffers, "eps", shape=(2, 1))


def test_dpm_solver_handles_eps_at_zero_terminal_snr():
    buffers = _buffers(CosineSchedule(zero_terminal_snr=True))
    samples, _ = _sample(DPMSolverPP2MSamplerSpec(steps=20), buffers, "eps")
    assert torch.isfinite(samples).all()
    assert abs(float(samples.mean()) - MU) < 0.01 and abs(float(samples.std()) / STD - 1) < 0.05


@pytest.mark.parametrize("steps", [5, 50, 200])
def test_dpm_solver_with_underflowing_alpha_bar(steps):
    """sqrt schedule: alpha_bar_999 ~ 3e-44, far below the 2^-24 floor for many steps; eps stays finite."""
    from ddpm_kit.components.schedules.sqrt import SqrtSchedule

    buffers = _buffers(SqrtSchedule())
    samples, _ = _sample(DPMSolverPP2MSamplerSpec(steps=steps), buffers, "eps", shape=(512, 4))
    assert torch.isfinite(samples).all()
    assert abs(float(samples.mean()) - MU) < 0.03


def test_ddim_x0_model_equals_eps_model(linear_buffers):
    """Upstream treats an x0 output as eps; here both parameterizations of one model give one trajectory."""
    spec = DDIMSamplerSpec(steps=50)
    eps, _ = _sample(spec, linear_buffers, "eps", shape=(64, 4))
    x0, _ = _sample(spec, linear_buffers, "x0", shape=(64, 4))
    torch.testing.assert_close(x0, eps, rtol=1e-3, atol=1e-3)


def test_clip_denoised_keeps_x0_in_range(linear_buffers):
    for spec in (DDPMSamplerSpec(), DDIMSamplerSpec(steps=20), DPMSolverPP2MSamplerSpec(steps=10)):
        samples, _ = _sample(spec, linear_buffers, "x0", shape=(256, 4), clip_denoised=True)
        far = lambda x, t: torch.full_like(x, 5.0)  # noqa: E731 - a model predicting x0 = 5 everywhere
        clipped, _ = spec.load_impl()(spec).sample(far, linear_buffers, (4, 2), parameterization="x0",
                                                   clip_denoised=True, generator=torch.Generator().manual_seed(0))
        assert float(clipped.max()) <= 1.0 + 0.05, spec.name
        assert torch.isfinite(samples).all()


# ----------------------------------------------------------------------------------------- upstream parity
def test_ddim_sampling_parameters_match_upstream():
    vectors = ddim_vectors()
    buffers = _buffers(LinearSchedule(linear_start=0.00085, linear_end=0.012))
    checked = 0
    for case in vectors["cases"].values():
        for eta in ("0.0", "1.0"):
            if f"eta{eta}" not in case:
                continue
            sigmas, alphas, alphas_prev = ddim_sampling_parameters(buffers["alphas_cumprod"], case["timesteps"],
                                                                   float(eta))
            expected = case[f"eta{eta}"]
            assert sigmas.tolist() == expected["sigmas"]
            assert alphas.double().tolist() == expected["alphas"]
            assert alphas_prev.tolist() == expected["alphas_prev"]
            checked += 1
    assert checked == 8


def _upstream_ancestral(denoiser, buffers, shape, parameterization, log_every_t):
    """CompVis p_sample_loop transcribed, drawing from the global RNG (v through the SD helper)."""
    num_timesteps = buffers["betas"].shape[0]
    img = torch.randn(shape)
    intermediates = [img]
    for i in reversed(range(num_timesteps)):
        t = torch.full((shape[0],), i, dtype=torch.long)
        out = denoiser(img, t)
        mean, _, log_variance = p_mean_variance(out, img, t, parameterization, buffers, clip_denoised=True)
        noise = torch.randn(img.shape)
        nonzero_mask = (1 - (t == 0).float()).reshape(shape[0], *((1,) * (len(shape) - 1)))
        img = mean + nonzero_mask * (0.5 * log_variance).exp() * noise
        if i % log_every_t == 0 or i == num_timesteps - 1:
            intermediates.append(img)
    return img, intermediates


@pytest.mark.parametrize("parameterization", ["eps", "x0", "v"])
def test_ancestral_matches_upstream_loop(parameterization):
    buffers = _buffers(LinearSchedule(), 10)
    denoiser = gaussian_oracle(buffers, parameterization)
    torch.manual_seed(123)
    expected, expected_inter = _upstream_ancestral(denoiser, buffers, (3, 2, 4, 4), parameterization, 3)
    spec = DDPMSamplerSpec()
    samples, inter = spec.load_impl()(spec).sample(denoiser, buffers, (3, 2, 4, 4), parameterization=parameterization,
                                                   clip_denoised=True, generator=torch.Generator().manual_seed(123),
                                                   log_every_t=3)
    assert torch.equal(samples, expected)
    assert len(inter) == len(expected_inter) == 5  # x_T, t = 9, 6, 3, 0
    assert all(torch.equal(a, b) for a, b in zip(inter, expected_inter))


def _upstream_ddim(denoiser, buffers, shape, parameterization, steps, eta, log_every_t):
    """CompVis/SD DDIMSampler.ddim_sampling + p_sample_ddim transcribed (no guidance, temperature 1)."""
    taus = [t + 1 for t in range(0, buffers["betas"].shape[0], buffers["betas"].shape[0] // steps)]
    sigmas, alphas, alphas_prev = ddim_sampling_parameters(buffers["alphas_cumprod"], taus, eta)
    sqrt_one_minus = torch.sqrt((1.0 - alphas).double()).float()
    img = torch.randn(shape)
    intermediates = [img]
    total = len(taus)
    for i, step in enumerate(reversed(taus)):
        index = total - i - 1
        t = torch.full((shape[0],), step, dtype=torch.long)
        out = denoiser(img, t)
        full = lambda v: torch.full((shape[0], 1, 1, 1), float(v))  # noqa: E731
        a_t, a_prev = full(alphas[index]), full(alphas_prev[index])
        sigma_t, sq = full(sigmas[index]), full(sqrt_one_minus[index])
        e_t = predict_eps_from_z_and_v(img, t, out, buffers) if parameterization == "v" else out
        if parameterization == "v":
            pred_x0 = predict_start_from_z_and_v(img, t, out, buffers)
        else:
            pred_x0 = (img - sq * e_t) / a_t.sqrt()
        dir_xt = (1.0 - a_prev - sigma_t**2).sqrt() * e_t
        noise = sigma_t * torch.randn(img.shape)
        img = a_prev.sqrt() * pred_x0 + dir_xt + noise
        if index % log_every_t == 0 or index == total - 1:
            intermediates.append(img)
    return img, intermediates


@pytest.mark.parametrize("parameterization", ["eps", "v"])
@pytest.mark.parametrize("eta", [0.0, 1.0])
def test_ddim_matches_upstream_loop(parameterization, eta):
    buffers = _buffers(LinearSchedule(linear_start=0.00085, linear_end=0.012), 100)
    denoiser = gaussian_oracle(buffers, parameterization)
    torch.manual_seed(7)
    expected, expected_inter = _upstream_ddim(denoiser, buffers, (2, 3, 4, 4), parameterization, 10, eta, 4)
    spec = DDIMSamplerSpec(steps=10, eta=eta)
    samples, inter = spec.load_impl()(spec).sample(denoiser, buffers, (2, 3, 4, 4), parameterization=parameterization,
                                                   clip_denoised=False, generator=torch.Generator().manual_seed(7),
                                                   log_every_t=4)
    torch.testing.assert_close(samples, expected, rtol=1e-6, atol=1e-6)
    assert len(inter) == len(expected_inter) == 5  # x_T, then index 9 (first step), 8, 4, 0
    assert all(torch.allclose(a, b, rtol=1e-6, atol=1e-6) for a, b in zip(inter, expected_inter))


# ----------------------------------------------------------------------------------------- interface
@pytest.mark.parametrize("spec", [DDPMSamplerSpec(), DDIMSamplerSpec(steps=5), DPMSolverPP2MSamplerSpec(steps=5)],
                         ids=lambda s: s.name)
def test_reproducible_from_generator_and_x_T(spec):
    buffers = _buffers(LinearSchedule(), 20)
    first, _ = _sample(spec, buffers, "v", shape=(4, 3), seed=1)
    again, _ = _sample(spec, buffers, "v", shape=(4, 3), seed=1)
    other, _ = _sample(spec, buffers, "v", shape=(4, 3), seed=2)
    assert torch.equal(first, again) and not torch.equal(first, other)
    x_T = torch.randn(4, 3, generator=torch.Generator().manual_seed(1))
    given, inter = _sample(spec, buffers, "v", shape=(4, 3), seed=1, x_T=x_T, log_every_t=1)
    assert torch.equal(inter[0], x_T)
    assert len(inter) == 1 + spec.num_steps(20)
    _, none = _sample(spec, buffers, "v", shape=(4, 3), log_every_t=None)
    assert none == []


def test_interface_errors():
    buffers = _buffers(LinearSchedule(), 20)
    spec = DDIMSamplerSpec(steps=5)
    sampler = spec.load_impl()(spec)
    generator = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="shape"):
        sampler.sample(lambda x, t: torch.cat([x, x], dim=1), buffers, (2, 3), parameterization="eps",
                       clip_denoised=False, generator=generator)
    with pytest.raises(ValueError, match="x_T"):
        sampler.sample(gaussian_oracle(buffers, "eps"), buffers, (2, 3), parameterization="eps",
                       clip_denoised=False, generator=generator, x_T=torch.zeros(2, 4))
    with pytest.raises(ValueError, match="parameterization"):
        sampler.sample(gaussian_oracle(buffers, "eps"), buffers, (2, 3), parameterization="epsilon",
                       clip_denoised=False, generator=generator)
    big = DDIMSamplerSpec(steps=50)
    with pytest.raises(ValueError, match="exceeds"):
        big.load_impl()(big).sample(gaussian_oracle(buffers, "eps"), buffers, (2, 3), parameterization="eps",
                                    clip_denoised=False, generator=generator)


@pytest.mark.parametrize("schedule", [LinearSchedule(), CosineSchedule(zero_terminal_snr=True)], ids=["linear", "zsnr"])
@pytest.mark.parametrize("timesteps", [10, 1000])
def test_dpm_solver_timesteps_are_exactly_s_distinct(schedule, timesteps):
    alphas_cumprod = _buffers(schedule, timesteps)["alphas_cumprod"]
    lambdas = log_snr(alphas_cumprod)
    for steps in sorted({1, 2, 3, 7, timesteps // 2, timesteps - 1, timesteps}):
        taus = log_snr_uniform_timesteps(alphas_cumprod, steps)
        assert len(taus) == steps and taus[0] == timesteps - 1
        assert all(a > b for a, b in zip(taus, taus[1:]))
        if steps > 1:
            assert taus[-1] == 0
    if timesteps == 1000:  # uniform in lambda: equal gaps up to the integer grid
        taus = log_snr_uniform_timesteps(alphas_cumprod, 5)
        gaps = [lambdas[b] - lambdas[a] for a, b in zip(taus, taus[1:])]
        assert max(gaps) - min(gaps) < 0.1 * max(gaps)
