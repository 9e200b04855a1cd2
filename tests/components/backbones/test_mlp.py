"""The time-conditioned MLP for vector data: contract, labels, and that it learns a 2-D denoiser."""

from __future__ import annotations

import math

import pytest
import torch

from ddpm_kit.components.backbones.mlp import MLPSpec
from ddpm_kit.components.backbones.mlp_impl import MLPBackbone, build_mlp
from ddpm_kit.registry import BACKBONES


def test_registry_builds_the_mlp_and_output_has_the_data_shape():
    spec = BACKBONES.get("mlp").model_validate({"name": "mlp", "data_dim": 3, "hidden": 16, "depth": 2})
    model = spec.load_impl()(spec)
    assert isinstance(model, MLPBackbone)
    assert model(torch.randn(5, 3), torch.arange(5)).shape == (5, 3)
    with pytest.raises(TypeError, match="MLPSpec"):
        build_mlp(object())  # type: ignore[arg-type]


def test_forward_contract_errors():
    model = build_mlp(MLPSpec(hidden=16))
    x, t = torch.randn(4, 2), torch.arange(4)
    with pytest.raises(ValueError, match=r"\[B, 2\]"):
        model(torch.randn(4, 3), t)
    with pytest.raises(ValueError, match=r"shape \[B\]"):
        model(x, t[:2])
    with pytest.raises(ValueError, match="no cross-attention"):
        model(x, t, context=torch.randn(4, 1, 2))
    with pytest.raises(ValueError, match="not class-conditional"):
        model(x, t, y=torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="pass y"):
        build_mlp(MLPSpec(hidden=16, num_classes=2))(x, t)


def test_time_and_labels_change_the_output():
    torch.manual_seed(0)
    model = build_mlp(MLPSpec(hidden=16, num_classes=3)).eval()
    x, y = torch.randn(2, 2), torch.tensor([0, 1])
    with torch.no_grad():
        base = model(x, torch.tensor([5, 5]), y=y)
        assert not torch.allclose(base, model(x, torch.tensor([900, 900]), y=y))
        assert not torch.allclose(base, model(x, torch.tensor([5, 5]), y=y.flip(0)))


def test_trains_a_two_moons_denoiser_in_seconds():
    """eps-prediction on a 2-D mixture with a linear-beta DDPM forward process: the loss drops."""
    torch.manual_seed(0)
    steps = 100
    betas = torch.linspace(1e-4, 0.02, steps, dtype=torch.float64)
    alphas_cumprod = torch.cumprod(1 - betas, 0).float()
    angle = torch.rand(2048) * math.pi
    moons = torch.stack([torch.cos(angle), torch.sin(angle)], 1)
    data = torch.cat([moons[:1024], moons[1024:] * torch.tensor([1.0, -1.0]) + torch.tensor([1.0, 0.5])])
    model = build_mlp(MLPSpec(hidden=64, depth=2))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

    def loss_on(batch: torch.Tensor) -> torch.Tensor:
        t = torch.randint(0, steps, (batch.shape[0],))
        noise = torch.randn_like(batch)
        a = alphas_cumprod[t][:, None]
        x_t = a.sqrt() * batch + (1 - a).sqrt() * noise
        return (model(x_t, t) - noise).square().mean()

    generator_state = torch.get_rng_state()
    with torch.no_grad():
        before = sum(loss_on(data).item() for _ in range(4)) / 4
    for _ in range(300):
        batch = data[torch.randint(0, len(data), (256,))]
        optimizer.zero_grad()
        loss_on(batch).backward()
        optimizer.step()
    torch.set_rng_state(generator_state)
    with torch.no_grad():
        after = sum(loss_on(data).item() for _ in range(4)) / 4
    assert after < 0.8 * before
