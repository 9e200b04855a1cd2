"""DiffusionWrapper: every upstream conditioning mode, its errors, and upstream's state-dict names."""

from __future__ import annotations

import pytest
import torch

from ddpm_kit.components.backbones.unet_impl import build_unet
from ddpm_kit.components.backbones.nn.wrapper import DiffusionWrapper
from ddpm_kit.components.backbones.unet import UNetSpec

B, C, CONCAT, CTX = 2, 2, 3, 8
BASE = dict(image_size=8, model_channels=32, num_res_blocks=1, attention_resolutions=(2,), channel_mult=(1, 2),
            num_head_channels=16, out_channels=C)
SPECS = {
    None: dict(in_channels=C),
    "concat": dict(in_channels=C + CONCAT),
    "crossattn": dict(in_channels=C, use_spatial_transformer=True, context_dim=CTX),
    "hybrid": dict(in_channels=C + CONCAT, use_spatial_transformer=True, context_dim=CTX),
    "adm": dict(in_channels=C, num_classes=5),
    "hybrid-adm": dict(in_channels=C + CONCAT, use_spatial_transformer=True, context_dim=CTX, num_classes=5),
    "crossattn-adm": dict(in_channels=C, use_spatial_transformer=True, context_dim=CTX, num_classes="sequential",
                          adm_in_channels=6),
}


def wrap(spec: UNetSpec, key: str | None) -> DiffusionWrapper:
    return DiffusionWrapper(build_unet(spec), key)


def conditions(key: str | None, shift: float = 0.0) -> dict:
    """The condition slots upstream's LatentDiffusion passes for ``key`` (lists, as upstream)."""
    g = torch.Generator().manual_seed(1)
    concat = [torch.randn(B, CONCAT, 8, 8, generator=g) + shift]
    cross = [torch.randn(B, 3, CTX, generator=g) + shift]
    adm = torch.randn(B, 6, generator=g) + shift if key == "crossattn-adm" else torch.tensor([1, 4]) - int(shift)
    slots = {
        None: {}, "concat": {"c_concat": concat}, "crossattn": {"c_crossattn": cross},
        "hybrid": {"c_concat": concat, "c_crossattn": cross}, "adm": {"c_crossattn": [adm]},
        "hybrid-adm": {"c_concat": concat, "c_crossattn": cross, "c_adm": adm},
        "crossattn-adm": {"c_crossattn": cross, "c_adm": adm},
    }
    return slots[key]


@pytest.fixture(params=list(SPECS), ids=lambda k: str(k))
def wrapped(request, perturb):
    key = request.param
    wrapper = wrap(UNetSpec(**BASE, **SPECS[key]), key)
    return key, perturb(wrapper).eval()


def test_each_mode_runs_and_its_conditions_change_the_output(wrapped):
    key, wrapper = wrapped
    x, t = torch.randn(B, C, 8, 8), torch.tensor([3, 600])
    with torch.no_grad():
        out = wrapper(x, t, **conditions(key))
        assert out.shape == (B, C, 8, 8)
        if key is not None:
            assert not torch.allclose(out, wrapper(x, t, **conditions(key, shift=1.0)))


def test_each_mode_rejects_missing_and_unused_conditions(wrapped):
    key, wrapper = wrapped
    x, t = torch.randn(B, C, 8, 8), torch.tensor([3, 600])
    given = conditions(key)
    for slot in given:
        with pytest.raises(ValueError, match=f"needs {slot}"):
            wrapper(x, t, **{k: v for k, v in given.items() if k != slot})
    for slot in {"c_concat", "c_crossattn", "c_adm"} - set(given):
        with pytest.raises(ValueError, match=f"does not use {slot}"):
            wrapper(x, t, **given, **{slot: torch.zeros(1)})


def test_network_sits_at_diffusion_model_for_upstream_names():
    wrapper = DiffusionWrapper(build_unet(UNetSpec(**BASE, in_channels=C)), None)
    keys = list(wrapper.state_dict())
    assert keys[0] == "diffusion_model.time_embed.0.weight" and all(k.startswith("diffusion_model.") for k in keys)
    assert "conditioning_key=None" in repr(wrapper)


def test_list_conditions_are_concatenated_on_channels_and_tokens(perturb):
    key = "hybrid"
    wrapper = perturb(wrap(UNetSpec(**BASE, **{**SPECS[key], "in_channels": C + 4}), key))
    x, t = torch.randn(B, C, 8, 8), torch.tensor([1, 2])
    parts = [torch.randn(B, 1, 8, 8), torch.randn(B, 3, 8, 8)]
    tokens = [torch.randn(B, 2, CTX), torch.randn(B, 5, CTX)]
    with torch.no_grad():
        split = wrapper(x, t, c_concat=parts, c_crossattn=tokens)
        joined = wrapper(x, t, c_concat=torch.cat(parts, 1), c_crossattn=torch.cat(tokens, 1))
    torch.testing.assert_close(split, joined)


def test_adm_takes_exactly_one_label_tensor_and_type_errors_are_clear():
    wrapper = wrap(UNetSpec(**BASE, **SPECS["adm"]), "adm")
    x, t, y = torch.randn(B, C, 8, 8), torch.tensor([1, 2]), torch.tensor([0, 1])
    assert wrapper(x, t, c_crossattn=y).shape == x.shape  # a bare tensor is the label batch
    with pytest.raises(ValueError, match="one label tensor"):
        wrapper(x, t, c_crossattn=[y, y])
    with pytest.raises(TypeError, match="list of tensors"):
        wrapper(x, t, c_crossattn=[])


def test_unknown_keys_are_rejected():
    # a backbone that does not fit its key is refused by the config rules (tests/config/test_rules.py)
    with pytest.raises(ValueError, match="did you mean 'crossattn'"):
        DiffusionWrapper(torch.nn.Identity(), "crossatn")
