"""Parity with upstream ``UNetModel``: state-dict keys/shapes/order, strict loading, outputs to 1e-5."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from ddpm_kit.components.backbones.unet_impl import build_unet
from ddpm_kit.components.backbones.unet import UNetSpec

from tests.components.backbones.helpers import PARITY, PARITY_CASES, STATE_KEYS, recipe_state_dict, state_dict_sha256

pytestmark = pytest.mark.filterwarnings("error", "ignore::ddpm_kit.registry.SpecWarning")


def test_all_reference_cases_are_present():
    assert PARITY_CASES == ["tiny_classcond", "tiny_crossattn", "tiny_default", "tiny_scaleshift_updown"]
    assert set(PARITY_CASES) < set(STATE_KEYS)


@pytest.mark.parametrize("case", sorted(STATE_KEYS))
def test_state_dict_keys_shapes_and_order_equal_upstream(case):
    reference = STATE_KEYS[case]
    model = build_unet(UNetSpec(**reference["config"]))
    ours = [(k, list(v.shape)) for k, v in model.state_dict().items()]
    assert ours == list(reference["state_dict"].items())  # same order: optimizer/EMA states line up too
    assert len(ours) == reference["n_keys"]
    assert sum(p.numel() for p in model.parameters()) == reference["n_params"]


@pytest.mark.parametrize("case", PARITY_CASES)
def test_upstream_weights_load_strictly_and_reproduce_the_output(case):
    meta = json.loads((PARITY / case / "meta.json").read_text())
    io = load_file(PARITY / case / "io.safetensors")
    model = build_unet(UNetSpec(**meta["config"])).eval()
    upstream_keys = list(STATE_KEYS[case]["state_dict"])
    weights = recipe_state_dict(model, meta["seed"], upstream_keys)
    # the regenerated weights are upstream's state_dict.safetensors, bit for bit
    assert state_dict_sha256(weights) == meta["state_dict_sha256"]
    result = model.load_state_dict(weights, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    kwargs = {k: io[k] for k in ("context", "y") if k in io}
    with torch.no_grad():
        output = model(io["x"], io["timesteps"], **kwargs)
    assert output.dtype == torch.float32 and list(output.shape) == meta["output_shape"]
    assert (output - io["output"]).abs().max().item() <= 1e-5


def test_state_dict_digest_detects_a_changed_weight():
    meta = json.loads((PARITY / "tiny_default" / "meta.json").read_text())
    model = build_unet(UNetSpec(**meta["config"]))
    weights = recipe_state_dict(model, meta["seed"], list(STATE_KEYS["tiny_default"]["state_dict"]))
    weights["out.2.bias"] = weights["out.2.bias"] + 1e-6
    assert state_dict_sha256(weights) != meta["state_dict_sha256"]


def test_new_and_legacy_attention_orders_are_not_interchangeable():
    """Same shapes, different qkv channel layout: flipping the order changes the output."""
    meta = json.loads((PARITY / "tiny_scaleshift_updown" / "meta.json").read_text())
    io = load_file(PARITY / "tiny_scaleshift_updown" / "io.safetensors")
    flipped = build_unet(UNetSpec(**{**meta["config"], "use_new_attention_order": False})).eval()
    flipped.load_state_dict(recipe_state_dict(flipped, meta["seed"]), strict=True)
    with torch.no_grad():
        output = flipped(io["x"], io["timesteps"])
    assert (output - io["output"]).abs().max().item() > 1e-3
