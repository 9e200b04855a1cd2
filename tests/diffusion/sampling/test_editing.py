"""Editing on every sampler: strength 0 returns the input, strength 1 is unconditional sampling with the same
noise, SDEdit in between starts from the noised input, and inpainting keeps the masked-in values exactly."""

from __future__ import annotations

import pytest
import torch

from ddpm_kit.diffusion.buffers import schedule_buffers_f64
from ddpm_kit.diffusion.sampling.common import PerSampleNoise
from ddpm_kit.diffusion.sampling.editing import Edit, first_kept_step, renoise
from ddpm_kit.registry import SAMPLERS

T = 100
SHAPE = (6, 1, 4, 4)
BUILT_IN = ["ddpm", "ddim", "plms", "dpmpp_2m", "euler", "euler_ancestral", "heun", "dpmpp_2s_ancestral",
            "dpmpp_2m_sde", "dpmpp_3m_sde", "dpmpp_3m_sde_o3", "unipc"]


@pytest.fixture(scope="module")
def buffers():
    return {k: v.float() for k, v in schedule_buffers_f64(torch.linspace(1e-4, 0.05, T, dtype=torch.float64)).items()}


def network(buffers):
    """The exact eps of data N(0.2, 0.3^2) per pixel (a smooth, deterministic stand-in for a trained model)."""
    mu, var = 0.2, 0.09

    def call(x, t):
        ab = buffers["alphas_cumprod"][t].view(-1, 1, 1, 1)
        x0 = mu + ab.sqrt() * var * (x - ab.sqrt() * mu) / (ab * var + 1 - ab)
        return (x - ab.sqrt() * x0) / (1 - ab).sqrt()
    return call


def sampler(name):
    spec_cls = SAMPLERS.get(name)
    fields = spec_cls.model_fields
    options = {"name": name, **({"steps": 10} if "steps" in fields else {})}
    spec = spec_cls.model_validate(options)
    return spec.load_impl()(spec)


def run(name, buffers, edit=None, seed=0):
    return sampler(name).sample(network(buffers), buffers, SHAPE, parameterization="eps", clip_denoised=False,
                                generator=PerSampleNoise(seed, SHAPE[0]), edit=edit)[0]


def init_images():
    return torch.linspace(-0.9, 0.9, 16).view(1, 1, 4, 4).repeat(SHAPE[0], 1, 1, 1)


def test_first_kept_step_and_bad_edits():
    assert [first_kept_step(s, 10) for s in (0.0, 0.04, 0.5, 1.0)] == [10, 10, 5, 0]
    with pytest.raises(ValueError, match="strength"):
        Edit(init_images(), strength=1.5)
    with pytest.raises(ValueError, match="mask"):
        Edit(init_images(), mask=torch.ones(1, 1, 3, 3))
    with pytest.raises(ValueError, match="needs a mask"):
        Edit(init_images(), resample=2)


@pytest.mark.parametrize("name", BUILT_IN)
def test_strength_0_returns_the_input_and_1_is_unconditional(name, buffers):
    init = init_images()
    assert torch.equal(run(name, buffers, Edit(init, strength=0.0)), init)
    assert torch.equal(run(name, buffers, Edit(init, strength=1.0)), run(name, buffers))


@pytest.mark.parametrize("name", BUILT_IN)
def test_sdedit_keeps_more_of_the_input_at_lower_strength(name, buffers):
    init = init_images()
    distance = [float((run(name, buffers, Edit(init, strength=s)) - init).pow(2).mean()) for s in (0.3, 0.7, 1.0)]
    assert all(torch.isfinite(torch.tensor(distance)))
    assert distance[0] < distance[1] < distance[2], distance


@pytest.mark.parametrize("name", BUILT_IN)
def test_inpainting_keeps_the_known_region_exactly(name, buffers):
    init = init_images()
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., :2] = 1.0  # keep the left half
    for edit in (Edit(init, mask=mask), Edit(init, strength=0.6, mask=mask), Edit(init, mask=mask, resample=2)):
        out = run(name, buffers, edit)
        assert torch.equal(out[..., :2], init[..., :2])
        assert torch.isfinite(out).all() and not torch.equal(out[..., 2:], init[..., 2:])


def test_renoise_is_the_forward_transition():
    """q(x_a | x_b) composed with q(x_b | x0) is q(x_a | x0): the variance adds up to sigma_a^2."""
    x0 = torch.zeros(200_000)
    b, a = (0.5, 0.75 ** 0.5), (0.3, (1 - 0.09) ** 0.5)
    x_b = b[0] * x0 + b[1] * torch.randn(200_000, generator=torch.Generator().manual_seed(0))
    x_a = renoise(x_b, a, b, torch.randn(200_000, generator=torch.Generator().manual_seed(1)))
    assert float(x_a.var()) == pytest.approx(a[1] ** 2, rel=0.01)
