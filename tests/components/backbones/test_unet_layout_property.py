"""Property: any spec that validates builds a UNet whose attention layout is the spec's, and runs."""

from __future__ import annotations

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ddpm_kit.components.backbones.nn.attention import AttentionBlock
from ddpm_kit.components.backbones.nn.transformer import SpatialTransformer
from ddpm_kit.components.backbones.unet_impl import build_unet
from ddpm_kit.components.backbones.unet import UNetSpec


@st.composite
def small_specs(draw) -> dict:
    levels = draw(st.integers(1, 3))
    transformer = draw(st.booleans())
    data = dict(
        image_size=8, in_channels=draw(st.integers(1, 3)), out_channels=draw(st.integers(1, 3)),
        model_channels=32, channel_mult=[1, *draw(st.lists(st.sampled_from([1, 2]), min_size=levels - 1,
                                                           max_size=levels - 1))],
        num_res_blocks=draw(st.one_of(st.integers(1, 2), st.lists(st.integers(1, 2), min_size=levels,
                                                                   max_size=levels))),
        attention_resolutions=draw(st.lists(st.sampled_from([1, 2, 4, 8]), max_size=3)),
        use_scale_shift_norm=draw(st.booleans()), resblock_updown=draw(st.booleans()),
        conv_resample=draw(st.booleans()), use_new_attention_order=draw(st.booleans()) and not transformer,
        legacy=draw(st.booleans()),
    )
    if draw(st.booleans()):
        data["num_heads"] = draw(st.sampled_from([1, 2, 4, 3]))
    else:
        data["num_head_channels"] = draw(st.sampled_from([8, 16, 32, 24]))
    if transformer:
        data.update(use_spatial_transformer=True, context_dim=8, use_linear_in_transformer=draw(st.booleans()))
    return data


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=small_specs())
def test_valid_specs_build_the_layout_they_declare(data):
    try:
        spec = UNetSpec.model_validate(data, context={"warnings": []})
    except ValidationError as error:
        # the only invalid draws are head counts that do not divide a width
        assert {e["type"] for e in error.errors()} == {"heads_divide"}
        return
    model = build_unet(spec).eval()
    kind = SpatialTransformer if spec.use_spatial_transformer else AttentionBlock
    built = [name for name, module in model.named_modules() if isinstance(module, kind)]
    assert built == [path for path, _, _ in spec.attention_sites()]
    context = torch.randn(2, 3, 8) if spec.use_spatial_transformer else None
    with torch.no_grad():
        out = model(torch.randn(2, spec.in_channels, 8, 8), torch.tensor([0, 999]), context=context)
    assert out.shape == (2, spec.out_channels, 8, 8)
