"""The UNet's augmentation condition (EDM map_augment) and non-square inputs."""

from __future__ import annotations

import pytest
import torch

from ddpm_kit.components.backbones.unet_impl import build_unet
from ddpm_kit.components.backbones.unet import UNetSpec

TINY = dict(image_size=8, in_channels=1, out_channels=1, model_channels=32, num_res_blocks=1,
            attention_resolutions=[2], channel_mult=[1, 2], num_head_channels=16, use_scale_shift_norm=True)


def _live(net: torch.nn.Module) -> torch.nn.Module:
    """Perturb every weight (the output convs of the ResBlocks and the UNet start at zero, hiding the embedding)."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.add_(0.1 * torch.randn(parameter.shape, generator=generator))
    return net


def test_augment_labels_reach_the_output_and_their_layer_gets_gradients():
    torch.manual_seed(0)
    net = _live(build_unet(UNetSpec(**TINY, augment_dim=9)))
    x, t = torch.randn(3, 1, 8, 8), torch.tensor([1, 50, 900])
    labels = torch.randn(3, 9)
    with torch.no_grad():
        plain, zeros = net(x, t), net(x, t, augment_labels=torch.zeros(3, 9))
        augmented = net(x, t, augment_labels=labels)
    assert torch.equal(plain, zeros)  # no labels = zero labels = not augmented (map_augment has no bias)
    assert not torch.allclose(augmented, plain)
    net(x, t, augment_labels=labels).square().mean().backward()
    assert net.map_augment.weight.grad is not None and net.map_augment.weight.grad.abs().sum() > 0
    assert net.map_augment.bias is None


def test_augment_labels_are_checked():
    net = build_unet(UNetSpec(**TINY, augment_dim=4))
    x, t = torch.randn(2, 1, 8, 8), torch.zeros(2, dtype=torch.long)
    with pytest.raises(ValueError, match=r"\[B, augment_dim\] = \[2, 4\], got \(2, 3\)"):
        net(x, t, augment_labels=torch.zeros(2, 3))
    with pytest.raises(ValueError, match="augment_dim is None"):
        build_unet(UNetSpec(**TINY))(x, t, augment_labels=torch.zeros(2, 4))


def test_state_dict_without_augment_dim_is_unchanged():
    keys = set(build_unet(UNetSpec(**TINY)).state_dict())
    assert not any("map_augment" in k for k in keys)
    assert set(build_unet(UNetSpec(**TINY, augment_dim=2)).state_dict()) - keys == {"map_augment.weight"}


def test_a_non_square_unet_keeps_h_and_w():
    spec = UNetSpec(**{**TINY, "image_size": [24, 40], "channel_mult": [1, 1, 2, 2]})
    assert spec.spatial_size() == (24, 40) and spec.check_spatial(24, 40) == []
    net = _live(build_unet(spec))
    with torch.no_grad():
        out = net(torch.randn(2, 1, 24, 40), torch.tensor([3, 4]))
    assert out.shape == (2, 1, 24, 40) and out.abs().sum() > 0
    assert "level 3 of 4 downsamples by 8, which does not divide W = 36" in spec.check_spatial(24, 36)[0]
