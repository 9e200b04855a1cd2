"""Upstream ``DDPM`` methods on the module: upstream's signatures and values (schedule numbers from upstream,
formulas from compvis-ddpm-spec.md §3 evaluated in float64)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.compat.helpers import per_sample, randomize, upstream_ddpm
from tests.diffusion.vectors import schedule_arrays

CASE = "linear_T10"  # upstream linear 1e-4..2e-2, T = 10, v_posterior = 0 (the DDPM defaults at T = 10)
TOL = dict(rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def model():
    module = upstream_ddpm(seed=0)
    randomize(module.model, 11)
    return module


@pytest.fixture(scope="module")
def up():
    """Upstream's float64 schedule numbers for the case."""
    arrays = schedule_arrays()
    ac = arrays[f"{CASE}/alphas_cumprod"]
    return {
        "sqrt_ac": np.sqrt(ac), "sqrt_1m_ac": np.sqrt(1 - ac), "ac": ac,
        "recip": arrays[f"{CASE}/sqrt_recip_alphas_cumprod"], "recipm1": arrays[f"{CASE}/sqrt_recipm1_alphas_cumprod"],
        "coef1": arrays[f"{CASE}/posterior_mean_coef1"], "coef2": arrays[f"{CASE}/posterior_mean_coef2"],
        "var": arrays[f"{CASE}/v0.0/posterior_variance"],
        "logvar": arrays[f"{CASE}/v0.0/posterior_log_variance_clipped"],
    }


def _inputs(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(3, 3, 8, 8, generator=g), torch.randn(3, 3, 8, 8, generator=g), torch.tensor([0, 4, 9])


def _close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    assert actual.dtype == torch.float32
    torch.testing.assert_close(actual.double(), expected.expand_as(actual.double()), **TOL)


def test_q_mean_variance_and_q_sample(model, up):
    x0, noise, t = _inputs()
    mean, var, logvar = model.q_mean_variance(x0, t)
    _close(mean, per_sample(up["sqrt_ac"], t) * x0.double())
    _close(var, per_sample(1 - up["ac"], t))
    _close(logvar, per_sample(np.log(1 - up["ac"]), t))
    _close(model.q_sample(x0, t, noise), per_sample(up["sqrt_ac"], t) * x0.double()
           + per_sample(up["sqrt_1m_ac"], t) * noise.double())


def test_parameterization_conversions(model, up):
    x, other, t = _inputs(1)
    xd, od = x.double(), other.double()
    _close(model.predict_start_from_noise(x, t, other),
           per_sample(up["recip"], t) * xd - per_sample(up["recipm1"], t) * od)
    _close(model.predict_start_from_z_and_v(x, t, other),
           per_sample(up["sqrt_ac"], t) * xd - per_sample(up["sqrt_1m_ac"], t) * od)
    _close(model.predict_eps_from_z_and_v(x, t, other),
           per_sample(up["sqrt_ac"], t) * od + per_sample(up["sqrt_1m_ac"], t) * xd)
    # get_v(x, noise, t): upstream's argument order (x0 first, then noise)
    _close(model.get_v(x, other, t), per_sample(up["sqrt_ac"], t) * od - per_sample(up["sqrt_1m_ac"], t) * xd)


def test_q_posterior(model, up):
    x0, xt, t = _inputs(2)
    mean, var, logvar = model.q_posterior(x0, xt, t)
    _close(mean, per_sample(up["coef1"], t) * x0.double() + per_sample(up["coef2"], t) * xt.double())
    _close(var, per_sample(up["var"], t))
    _close(logvar, per_sample(up["logvar"], t))
    assert float(logvar[0].flatten()[0]) == pytest.approx(np.log(1e-20))  # upstream's t = 0 value


def _expected_mean(model, up, x, t, clip):
    with torch.no_grad():
        out = model.apply_model(x, t).double()
    x0 = per_sample(up["recip"], t) * x.double() - per_sample(up["recipm1"], t) * out
    if clip:
        x0 = x0.clamp(-1, 1)
    return per_sample(up["coef1"], t) * x0 + per_sample(up["coef2"], t) * x.double()


@pytest.mark.parametrize("clip", [True, False])
def test_p_mean_variance(model, up, clip):
    x, _, t = _inputs(3)
    x = 3 * x  # predicted x0 leaves [-1, 1], so clipping matters
    with torch.no_grad():
        mean, var, logvar = model.p_mean_variance(x, t, clip_denoised=clip)
    _close(mean, _expected_mean(model, up, x, t, clip))
    _close(var, per_sample(up["var"], t))
    _close(logvar, per_sample(up["logvar"], t))
    with torch.no_grad():
        assert not torch.allclose(mean, model.p_mean_variance(x, t, clip_denoised=not clip)[0])


def test_p_sample_adds_noise_except_at_t0(model, up):
    x, _, t = _inputs(4)
    torch.manual_seed(123)
    out = model.p_sample(x, t, clip_denoised=True)
    torch.manual_seed(123)
    z = torch.randn(x.shape).double()
    nonzero = (t != 0).double().reshape(-1, 1, 1, 1)
    expected = _expected_mean(model, up, x, t, True) + nonzero * torch.from_numpy(
        np.exp(0.5 * up["logvar"][t.numpy()])).reshape(-1, 1, 1, 1) * z
    _close(out, expected)


def test_p_sample_repeat_noise_uses_one_draw_for_the_batch(model):
    x = torch.randn(1, 3, 8, 8).repeat(3, 1, 1, 1)
    t = torch.full((3,), 5)
    out = model.p_sample(x, t, repeat_noise=True)
    assert torch.equal(out[0], out[1]) and torch.equal(out[1], out[2])
    out = model.p_sample(x, t, repeat_noise=False)
    assert not torch.equal(out[0], out[1])


def test_p_sample_loop_is_upstreams_loop(model):
    model.log_every_t = 3
    shape = (2, 3, 8, 8)
    torch.manual_seed(7)
    img, intermediates = model.p_sample_loop(shape, return_intermediates=True)
    # upstream's loop, written out with p_sample
    torch.manual_seed(7)
    x = torch.randn(shape)
    expected = [x]
    for i in reversed(range(model.num_timesteps)):
        x = model.p_sample(x, torch.full((2,), i, dtype=torch.long), clip_denoised=model.clip_denoised)
        if i % 3 == 0 or i == model.num_timesteps - 1:
            expected.append(x)
    assert torch.equal(img, x)
    assert len(intermediates) == len(expected) == 5  # x_T, then t = 9, 6, 3, 0
    for a, b in zip(intermediates, expected):
        assert torch.equal(a, b)
    torch.manual_seed(7)
    assert torch.equal(model.p_sample_loop(shape), img)


def test_sample_returns_upstream_shapes(model):
    torch.manual_seed(0)
    samples = model.sample(batch_size=2)
    assert samples.shape == (2, 3, 8, 8)
    samples, intermediates = model.sample(batch_size=2, return_intermediates=True)
    assert samples.shape == (2, 3, 8, 8) and isinstance(intermediates, list) and intermediates


# --------------------------------------------------------------------------- EMA
LIT_EMA = json.loads((Path(__file__).parents[1] / "data" / "misc" / "lr_ema_vectors.json").read_text())["lit_ema"]


def test_model_ema_call_reproduces_the_lit_ema_trajectory():
    from torch import nn

    from ddpm_kit.registry import EMAS

    class Vector(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.tensor([1.0, 2.0]))

    net = Vector()
    spec = EMAS.get("lit_ema")()
    ema = spec.load_impl()(spec, net)
    for row in LIT_EMA["history"]:
        with torch.no_grad():
            net.w.copy_(torch.tensor(row["param_after_step"]))
        used = ema(net)  # upstream: self.model_ema(self.model)
        assert int(ema.num_updates) == row["num_updates"]
        assert used == pytest.approx(row["decay_used"], rel=1e-7)
        assert ema.w.tolist() == row["shadow"]


def test_module_model_ema_steps_like_lit_ema():
    module = upstream_ddpm(seed=0, use_ema=True)
    assert type(module.model_ema).__name__ == "LitEma"
    name, param = next((n, p) for n, p in module.model.named_parameters() if p.requires_grad)
    shadow = module.model_ema.shadows()[name]
    for n in (1, 2):
        before = shadow.clone()
        with torch.no_grad():
            param.add_(1.0)
        used = module.model_ema(module.model)
        decay = min(0.9999, (1 + n) / (10 + n))
        assert used == pytest.approx(decay, rel=1e-7) and int(module.model_ema.num_updates) == n
        torch.testing.assert_close(shadow, before - (1 - decay) * (before - param.detach()))
