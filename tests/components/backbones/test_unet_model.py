"""UNet construction and forward contract beyond the parity cases."""

from __future__ import annotations

import pytest
import torch

from ddpm_kit.components.backbones.nn.attention import AttentionBlock
from ddpm_kit.components.backbones.nn.transformer import SpatialTransformer
from ddpm_kit.components.backbones.unet_impl import UNetModel, build_unet
from ddpm_kit.registry import BACKBONES
from ddpm_kit.components.backbones.unet import UNetSpec

TINY = dict(image_size=8, in_channels=1, out_channels=1, model_channels=32, num_res_blocks=1,
            attention_resolutions=(2,), channel_mult=(1, 2), num_head_channels=16)
CROSS = dict(TINY, in_channels=2, out_channels=2, use_spatial_transformer=True, context_dim=8)


def unet(**overrides) -> UNetModel:
    return build_unet(UNetSpec(**{**TINY, **overrides})).eval()


def test_registry_builds_the_unet_through_the_entry_point():
    spec = BACKBONES.get("unet").model_validate({"name": "unet", **TINY})
    assert isinstance(spec.load_impl()(spec), UNetModel)
    with pytest.raises(TypeError, match="UNetSpec"):
        build_unet(object())  # type: ignore[arg-type]


def test_a_fresh_unet_outputs_exactly_zero():
    x = torch.randn(2, 1, 8, 8)
    with torch.no_grad():
        assert torch.count_nonzero(unet()(x, torch.tensor([1, 500]))) == 0


def test_forward_rejects_missing_and_unexpected_conditions(perturb):
    x, t = torch.randn(2, 1, 8, 8), torch.tensor([1, 2])
    with pytest.raises(ValueError, match="not class-conditional"):
        unet()(x, t, y=torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="pass y"):
        unet(num_classes=3)(x, t)
    with pytest.raises(ValueError, match="has no cross-attention"):
        unet()(x, t, context=torch.randn(2, 3, 8))
    cross = build_unet(UNetSpec(**CROSS))
    with pytest.raises(ValueError, match="pass context"):
        cross(torch.randn(2, 2, 8, 8), t)
    with pytest.raises(ValueError, match=r"shape \[B\]"):
        unet()(x, torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="batch size"):
        unet(num_classes=3)(x, t, y=torch.tensor([0, 1, 2]))
    with pytest.raises(TypeError):
        unet()(x, t, cond=None)  # unknown keyword arguments are not swallowed (upstream: **kwargs)


@pytest.mark.parametrize(
    ("overrides", "y"),
    [
        (dict(num_classes=4), torch.tensor([0, 3])),
        (dict(num_classes="continuous"), torch.tensor([[0.5], [2.0]])),
        (dict(num_classes="sequential", adm_in_channels=6), torch.randn(2, 6)),
    ],
)
def test_label_conditioning_kinds_change_the_output(perturb, overrides, y):
    model = perturb(unet(**overrides))
    x, t = torch.randn(2, 1, 8, 8), torch.tensor([10, 10])
    with torch.no_grad():
        a = model(x, t, y=y)
        b = model(x, t, y=y.flip(0))
    assert not torch.allclose(a[0], b[0])


@pytest.mark.parametrize(("dims", "shape"), [(1, (2, 1, 16)), (3, (2, 1, 3, 8, 8))])
def test_one_and_three_dimensional_unets_keep_the_input_shape(perturb, dims, shape):
    model = perturb(unet(dims=dims, image_size=shape[-1]))
    with torch.no_grad():
        out = model(torch.randn(shape), torch.tensor([3, 4]))
    assert out.shape == shape and out.abs().sum() > 0


def test_conv_resample_false_has_no_resampling_weights():
    keys = set(unet(conv_resample=False).state_dict())
    assert not any(".op." in k or ".conv." in k for k in keys)
    assert "input_blocks.2.0.op.weight" in unet().state_dict()


def test_attention_layers_follow_the_spec_layout():
    spec = UNetSpec(**{**TINY, "num_res_blocks": 2, "channel_mult": (1, 2, 2), "attention_resolutions": (1, 4),
                       "num_attention_blocks": (1, 0, 2)})
    model = build_unet(spec)
    built = [name for name, m in model.named_modules() if isinstance(m, AttentionBlock)]
    assert built == [path for path, _, _ in spec.attention_sites()]
    assert built[0] == "input_blocks.1.1" and "input_blocks.2.1" not in built  # capped at level 0


def test_head_counts_follow_num_head_channels_num_heads_and_num_heads_upsample():
    by_width = {m.qkv.in_channels: m.heads for m in unet().modules() if isinstance(m, AttentionBlock)}
    assert by_width == {64: 4}  # 64 // num_head_channels 16
    heads = [(n, m.heads) for n, m in unet(num_head_channels=-1, num_heads=2, num_heads_upsample=4).named_modules()
             if isinstance(m, AttentionBlock)]
    assert heads == [("input_blocks.3.1", 2), ("middle_block.1", 2), ("output_blocks.0.1", 4),
                     ("output_blocks.1.1", 4)]


def test_spatial_transformer_options_shape_the_state_dict():
    spec = UNetSpec(**{**CROSS, "transformer_depth": 2, "context_dim": (8, 12),
                       "disable_self_attentions": (False, True), "use_linear_in_transformer": True, "legacy": False})
    sd = build_unet(spec).state_dict()
    block = "input_blocks.3.1.transformer_blocks"
    assert sd[f"{block}.0.attn2.to_k.weight"].shape == (64, 8)
    assert sd[f"{block}.1.attn2.to_k.weight"].shape == (64, 12)
    assert sd[f"{block}.0.attn1.to_k.weight"].shape == (64, 8)  # self-attention disabled: attends to the context
    assert sd["middle_block.1.transformer_blocks.0.attn1.to_k.weight"].shape == (64, 64)
    assert sd["input_blocks.3.1.proj_in.weight"].shape == (64, 64)  # Linear, not a 1x1 conv
    model = build_unet(spec).eval()
    contexts = [torch.randn(2, 3, 8), torch.randn(2, 5, 12)]
    assert model(torch.randn(2, 2, 8, 8), torch.tensor([1, 2]), context=contexts).shape == (2, 2, 8, 8)
    with pytest.raises(ValueError, match="context tensors"):
        model(torch.randn(2, 2, 8, 8), torch.tensor([1, 2]), context=contexts[:1])
    assert sum(isinstance(m, SpatialTransformer) for m in model.modules()) == 4


def test_cross_attention_context_changes_the_output(perturb):
    model = perturb(build_unet(UNetSpec(**CROSS)).eval())
    x, t, context = torch.randn(2, 2, 8, 8), torch.tensor([5, 5]), torch.randn(2, 4, 8)
    with torch.no_grad():
        assert not torch.allclose(model(x, t, context=context), model(x, t, context=context + 1))


def test_gradient_checkpointing_gives_the_same_gradients(perturb):
    torch.manual_seed(0)
    x, t = torch.randn(2, 1, 8, 8), torch.tensor([3, 700])
    grads = []
    for use_checkpoint in (False, True):
        model = perturb(unet(use_checkpoint=use_checkpoint)).train()
        model(x, t).square().mean().backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-5, atol=1e-6)


def test_an_int_context_dim_serves_every_transformer_block(perturb):
    """CompVis LD semantics (e.g. layout2img: transformer_depth 3, context_dim 512)."""
    model = perturb(build_unet(UNetSpec(**{**CROSS, "transformer_depth": 3})).eval())
    widths = {m.to_k.in_features for name, m in model.named_modules() if name.endswith("attn2")}
    assert widths == {8}
    with torch.no_grad():
        out = model(torch.randn(2, 2, 8, 8), torch.tensor([1, 2]), context=torch.randn(2, 3, 8))
    assert out.shape == (2, 2, 8, 8)
