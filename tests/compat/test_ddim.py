"""``compat.DDIMSampler`` against an independent float64 re-implementation of upstream's ``p_sample_ddim`` loop
(compvis-ddpm-spec.md §10) and upstream's ``make_ddim_timesteps`` / sampling parameters (reference vectors)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ddpm_kit.compat import DDIMSampler
from tests.compat.helpers import SHAPE, randomize, upstream_ddpm
from tests.diffusion.vectors import ddim_vectors

SD_LINEAR = dict(timesteps=1000, linear_start=0.00085, linear_end=0.012)  # the schedule of the DDIM vectors


def reference_ddim(model, x_T: torch.Tensor, S: int, eta: float, log_every_t: int, noise: list[torch.Tensor],
                   net=None):
    """Upstream's DDIM loop in float64 (the network itself runs in float32); no clipping anywhere."""
    net = net or (lambda x, t: model.apply_model(x, t))
    T = model.num_timesteps
    c = T // S
    taus = np.asarray(list(range(0, T, c))) + 1  # make_ddim_timesteps('uniform')
    ac = model.alphas_cumprod.double().numpy()
    a = ac[taus]
    a_prev = np.asarray([ac[0]] + ac[taus[:-1]].tolist())
    sigmas = eta * np.sqrt((1 - a_prev) / (1 - a) * (1 - a / a_prev))
    x = x_T.double()
    inter = {"x_inter": [x], "pred_x0": [x]}
    for i, step in enumerate(np.flip(taus)):
        index = len(taus) - i - 1
        t = torch.full((x.shape[0],), int(step), dtype=torch.long)
        with torch.no_grad():
            out = net(x.float(), t).double()
        if model.parameterization == "v":
            e_t = np.sqrt(ac[step]) * out + np.sqrt(1 - ac[step]) * x
            pred_x0 = np.sqrt(ac[step]) * x - np.sqrt(1 - ac[step]) * out
        else:
            e_t = out
            pred_x0 = (x - np.sqrt(1 - a[index]) * e_t) / np.sqrt(a[index])
        direction = np.sqrt(1 - a_prev[index] - sigmas[index] ** 2) * e_t
        x = np.sqrt(a_prev[index]) * pred_x0 + direction + sigmas[index] * noise[i].double()
        if index % log_every_t == 0 or index == len(taus) - 1:
            inter["x_inter"].append(x)
            inter["pred_x0"].append(pred_x0)
    return x, inter


@pytest.fixture(scope="module", params=["eps", "v"])
def model(request):
    module = upstream_ddpm(seed=0, parameterization=request.param, **SD_LINEAR)
    randomize(module.model, 21)
    return module


@pytest.mark.parametrize("eta", [0.0, 1.0])
def test_samples_and_intermediates_match_upstream(model, eta):
    S, batch, log_every_t = 10, 2, 3
    x_T = 2.5 * torch.randn(batch, *SHAPE, generator=torch.Generator().manual_seed(4))
    torch.manual_seed(99)  # upstream draws one normal per step from the global RNG (also when sigma = 0)
    noise = [torch.randn(batch, *SHAPE) for _ in range(S)]
    expected, expected_inter = reference_ddim(model, x_T, S, eta, log_every_t, noise)
    torch.manual_seed(99)
    samples, intermediates = DDIMSampler(model).sample(S, batch, SHAPE, eta=eta, x_T=x_T, log_every_t=log_every_t,
                                                       verbose=False)
    assert samples.shape == (batch, *SHAPE) and samples.dtype == torch.float32
    torch.testing.assert_close(samples.double(), expected, rtol=1e-4, atol=1e-4)
    assert set(intermediates) == {"x_inter", "pred_x0"}
    assert len(intermediates["x_inter"]) == len(intermediates["pred_x0"]) == 5  # x_T, then indices 9, 6, 3, 0
    for key in ("x_inter", "pred_x0"):
        for ours, theirs in zip(intermediates[key], expected_inter[key]):
            torch.testing.assert_close(ours.double(), theirs, rtol=1e-4, atol=1e-4)
    assert torch.equal(intermediates["x_inter"][0], x_T) and torch.equal(intermediates["pred_x0"][0], x_T)
    assert torch.equal(intermediates["x_inter"][-1], samples)


def test_x0_is_never_clamped_although_the_module_clips(model):
    assert model.clip_denoised  # ddpm-kit's own 'ddim' would clamp x0 here
    x_T = 4.0 * torch.randn(2, *SHAPE, generator=torch.Generator().manual_seed(5))
    _, intermediates = DDIMSampler(model).sample(5, 2, SHAPE, x_T=x_T, log_every_t=1, verbose=False)
    assert max(float(p.abs().max()) for p in intermediates["pred_x0"][1:]) > 1.0


def test_make_schedule_matches_upstream_vectors(model):
    sampler = DDIMSampler(model)
    for eta in ("0.0", "1.0"):
        case = ddim_vectors()["cases"]["uniform_S10_T1000"]
        sampler.make_schedule(10, ddim_eta=float(eta), verbose=False)
        assert isinstance(sampler.ddim_timesteps, np.ndarray)
        assert sampler.ddim_timesteps.tolist() == case["timesteps"]
        np.testing.assert_allclose(sampler.ddim_alphas.double().numpy(), case[f"eta{eta}"]["alphas"], rtol=1e-7)
        np.testing.assert_allclose(sampler.ddim_alphas_prev, case[f"eta{eta}"]["alphas_prev"], rtol=1e-7)
        np.testing.assert_allclose(np.asarray(sampler.ddim_sigmas), case[f"eta{eta}"]["sigmas"], rtol=1e-6, atol=1e-12)


def test_x0_models_are_refused():
    module = upstream_ddpm(seed=0, parameterization="x0")
    with pytest.raises(ValueError, match="treats a 'x0' model's output as eps"):
        DDIMSampler(module).sample(2, 1, SHAPE, verbose=False)


def test_classifier_free_guidance_as_upstream():
    from tests.compat.helpers import UNET_PARAMS, UNET_TARGET
    from ddpm_kit import DDPM

    torch.manual_seed(0)
    params = dict(UNET_PARAMS, use_spatial_transformer=True, context_dim=8)
    module = DDPM(unet_config={"target": UNET_TARGET, "params": params}, conditioning_key="crossattn",
                  condition_keys={"context": "txt"}, image_size=8, use_ema=False, **SD_LINEAR).eval()
    randomize(module.model, 31)
    g = torch.Generator().manual_seed(6)
    x_T = torch.randn(2, *SHAPE, generator=g)
    c = {"c_crossattn": [torch.randn(2, 5, 8, generator=g)]}
    uc = {"c_crossattn": [torch.zeros(2, 5, 8)]}
    scale = 3.0

    def guided(x, t):  # o_u + s (o_c - o_u), two separate calls
        o_u, o_c = module.apply_model(x, t, uc), module.apply_model(x, t, c)
        return o_u + scale * (o_c - o_u)

    noise = [torch.zeros(2, *SHAPE)] * 4
    expected, _ = reference_ddim(module, x_T, 4, 0.0, 100, noise, net=guided)
    samples, _ = DDIMSampler(module).sample(4, 2, SHAPE, conditioning=c, x_T=x_T, verbose=False,
                                            unconditional_guidance_scale=scale, unconditional_conditioning=uc)
    torch.testing.assert_close(samples.double(), expected, rtol=1e-4, atol=1e-4)
    plain, _ = DDIMSampler(module).sample(4, 2, SHAPE, conditioning=c, x_T=x_T, verbose=False)
    assert not torch.allclose(plain, samples, atol=1e-3)
