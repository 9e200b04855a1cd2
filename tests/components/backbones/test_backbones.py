"""Backbone specs: upstream configs validate, every cross-field rule (valid and invalid), hooks, slots."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ddpm_kit.components.backbones.conditioning import CONDITIONING_KEYS, conditioning_slots
from ddpm_kit.components.backbones.mlp import MLPSpec
from ddpm_kit.components.backbones.unet import UNetSpec
from ddpm_kit.registry import BACKBONES, SpecWarning

CONFIGS = Path(__file__).resolve().parents[2] / "data" / "compvis-configs"
TINY = dict(image_size=8, in_channels=1, out_channels=1, model_channels=32, num_res_blocks=1,
            attention_resolutions=[2], channel_mult=[1, 2], num_head_channels=16, use_scale_shift_norm=True)


def validate(**overrides) -> tuple[UNetSpec, list]:
    collected: list = []
    spec = UNetSpec.model_validate({**TINY, **overrides}, context={"warnings": collected})
    return spec, collected


def errors_of(**overrides) -> dict[tuple, str]:
    with pytest.raises(ValidationError) as info:
        validate(**overrides)
    return {tuple(e["loc"]): e["msg"] for e in info.value.errors()}


def unet_blocks(data):
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "unet_config":
                yield value
            else:
                yield from unet_blocks(value)
    elif isinstance(data, list):
        for item in data:
            yield from unet_blocks(item)


# ----------------------------------------------------------------------------- upstream configs
UNET_FILES = sorted(p for p in CONFIGS.rglob("*.yaml") if "unet_config" in p.read_text())
EXPECTED_WARNINGS = {
    "bsr_sr": {("attention_resolutions",)}, "semantic_synthesis256": {("attention_resolutions",)},
    "semantic_synthesis512": {("attention_resolutions",)}, "v2-inference-bf16": {("use_bf16",)},
    "v2-inference-v-bf16": {("use_bf16",)}, "v2-inference": {("use_fp16",)}, "v2-inference-v": {("use_fp16",)},
}


def test_the_upstream_config_set_has_thirty_unets():
    assert sum(len(list(unet_blocks(yaml.safe_load(p.read_text())))) for p in UNET_FILES) == 30


@pytest.mark.parametrize("path", UNET_FILES, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_upstream_unet_config_validates(path):
    for block in unet_blocks(yaml.safe_load(path.read_text())):
        assert block["target"] == "ldm.modules.diffusionmodules.openaimodel.UNetModel"
        collected: list = []
        spec = BACKBONES.get("unet").model_validate(block["params"], context={"warnings": collected})
        stem = path.parent.name if path.name == "config.yaml" else path.stem
        assert {loc for loc, _ in collected} == EXPECTED_WARNINGS.get(stem, set())
        assert UNetSpec.model_validate(spec.model_dump(), context={"warnings": []}) == spec  # dump round-trips


def test_unreachable_attention_factors_warn_with_their_names():
    _, collected = validate(attention_resolutions=[2, 16, 32])
    [(loc, message)] = collected
    assert loc == ("attention_resolutions",) and "[16, 32]" in message and "downsample factors" in message
    with pytest.warns(SpecWarning, match=r"attention_resolutions: factor\(s\) \[16, 32\]"):
        UNetSpec(**{**TINY, "attention_resolutions": [2, 16, 32]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        UNetSpec(**TINY)  # a clean spec warns about nothing


# ----------------------------------------------------------------------------- rules, valid and invalid
@pytest.mark.parametrize(
    ("overrides", "loc", "fragment"),
    [
        (dict(model_channels=48), ("model_channels",), "multiple of 32"),
        (dict(channel_mult=[2, 4]), ("channel_mult", 0), "must be 1"),
        (dict(num_heads=4), ("num_head_channels",), "both are set"),
        (dict(num_head_channels=-1), ("num_head_channels",), "neither is set"),
        (dict(num_head_channels=0), ("num_head_channels",), "-1 (unset) or >= 1"),
        (dict(num_head_channels=24), ("num_head_channels",), "does not divide the attention width 64"),
        (dict(num_head_channels=-1, num_heads=3), ("num_heads",), "num_heads=3 does not divide"),
        (dict(num_head_channels=-1, num_heads=2, num_heads_upsample=3), ("num_heads_upsample",),
         "of output_blocks.0.1"),
        (dict(num_res_blocks=[1, 1, 1]), ("num_res_blocks",), "one entry per channel_mult level (2)"),
        (dict(image_size=10, channel_mult=[1, 2, 2]), ("image_size",), "divisible by 2**(levels-1) = 4"),
        (dict(disable_self_attentions=[True]), ("disable_self_attentions",), "one entry per"),
        (dict(num_attention_blocks=[1]), ("num_attention_blocks",), "one entry per"),
        (dict(num_attention_blocks=[0, 2]), ("num_attention_blocks", 1), "exceeds num_res_blocks"),
        (dict(use_spatial_transformer=True), ("context_dim",), "needs context_dim"),
        (dict(context_dim=8), ("context_dim",), "use_spatial_transformer is false"),
        (dict(use_spatial_transformer=True, context_dim=[8, 8]), ("context_dim",), "transformer_depth=1"),
        (dict(use_spatial_transformer=True, context_dim=8, dims=1), ("dims",), "2-D feature maps"),
        (dict(dims=4), ("dims",), "Input should be 1, 2 or 3"),
        (dict(n_embed=16), ("n_embed",), "not supported"),
        (dict(num_classes="sequential"), ("adm_in_channels",), "needs adm_in_channels"),
        (dict(num_classes=10, adm_in_channels=4), ("adm_in_channels",), "only used with"),
        (dict(num_classes="discrete"), ("num_classes", "literal['continuous','sequential']"), "continuous"),
        (dict(model_channels=0), ("model_channels",), "greater than or equal to 1"),
        (dict(dropout=1.0), ("dropout",), "less than 1"),
        (dict(channel_mult=[]), ("channel_mult",), "at least 1 item"),
        (dict(unknown=1), ("unknown",), "Extra inputs are not permitted"),
    ],
)
def test_invalid_values_fail_on_their_field(overrides, loc, fragment):
    errors = errors_of(**overrides)
    assert loc in errors, errors
    assert fragment in errors[loc]


@pytest.mark.parametrize(
    "overrides",
    [
        dict(model_channels=64, channel_mult=[1, 3]),
        dict(num_head_channels=32),
        dict(num_head_channels=-1, num_heads=4),
        dict(num_head_channels=-1, num_heads=2, num_heads_upsample=4),
        dict(num_res_blocks=[2, 1]),
        dict(image_size=12, channel_mult=[1, 2]),
        dict(disable_self_attentions=[True, False], use_spatial_transformer=True, context_dim=8),
        dict(num_attention_blocks=[0, 1]),
        dict(use_spatial_transformer=True, context_dim=[8, 4], transformer_depth=2),
        dict(num_classes="sequential", adm_in_channels=4),
        dict(num_classes="continuous"),
        dict(num_classes="7"),
        dict(dims=1),
        dict(dims=3),
        dict(dropout=0.5),
    ],
)
def test_valid_values_pass_without_warnings(overrides):
    spec, collected = validate(**overrides)
    assert collected == []
    assert hash(spec)  # frozen and hashable (tuples, not lists)


def test_all_errors_are_reported_at_once():
    errors = errors_of(model_channels=40, channel_mult=[2, 4], num_heads=2, n_embed=3)
    assert {("model_channels",), ("channel_mult", 0), ("num_head_channels",), ("n_embed",)} <= set(errors)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (dict(num_head_channels=16, num_heads_upsample=4), "num_heads_upsample"),
        (dict(num_head_channels=-1, num_heads=2, num_heads_upsample=4, legacy=False), "num_heads_upsample"),
        (dict(transformer_depth=2), "transformer_depth"),
        (dict(use_linear_in_transformer=True), "use_linear_in_transformer"),
        (dict(disable_middle_self_attn=True), "disable_middle_self_attn"),
        (dict(disable_self_attentions=[True, True]), "disable_self_attentions"),
        (dict(use_spatial_transformer=True, context_dim=8, use_new_attention_order=True), "use_new_attention_order"),
        (dict(resblock_updown=True, conv_resample=False), "conv_resample"),
        (dict(use_fp16=True), "use_fp16"),
        (dict(use_bf16=True), "use_bf16"),
    ],
)
def test_options_without_effect_warn(overrides, field):
    _, collected = validate(**overrides)
    assert [loc for loc, _ in collected] == [(field,)]


@settings(max_examples=40, deadline=None)
@given(model_channels=st.integers(1, 256), channel_mult=st.lists(st.integers(1, 8), min_size=1, max_size=4))
def test_groupnorm_rule_is_exactly_width_divisible_by_32(model_channels, channel_mult):
    channel_mult = [1, *channel_mult[1:]]
    data = {**TINY, "model_channels": model_channels, "channel_mult": channel_mult, "image_size": 64,
            "num_head_channels": -1, "num_heads": 1}
    ok = all(model_channels * m % 32 == 0 for m in channel_mult)
    try:
        UNetSpec.model_validate(data, context={"warnings": []})
        assert ok
    except ValidationError as error:
        assert not ok and ("model_channels",) in [tuple(e["loc"]) for e in error.errors()]


# ----------------------------------------------------------------------------- hooks and layout
def test_unet_hooks():
    spec, _ = validate(in_channels=7, out_channels=4, num_classes=3)
    assert (spec.data_channels(), spec.output_channels(), spec.spatial_size(), spec.data_dims()) == (7, 4, 8, 3)
    assert spec.accepts_labels() and not spec.accepts_context()
    cross, _ = validate(use_spatial_transformer=True, context_dim=8, dims=2)
    assert cross.accepts_context() and not cross.accepts_labels()
    assert validate(dims=1)[0].data_dims() == 2
    assert UNetSpec.summary().startswith("CompVis/Stability ``UNetModel``")


def test_attention_heads_follow_upstream_bookkeeping():
    assert validate()[0].attention_heads(64) == (4, 16)
    legacy, _ = validate(num_head_channels=-1, num_heads=2, num_heads_upsample=4)
    assert legacy.attention_heads(64) == (2, 32) and legacy.attention_heads(64, decoder=True) == (4, 16)
    modern, _ = validate(num_head_channels=-1, num_heads=2, num_heads_upsample=4, legacy=False)
    assert modern.attention_heads(64, decoder=True) == (2, 32)
    assert modern.attention_sites() == [("input_blocks.3.1", 64, False), ("middle_block.1", 64, False),
                                        ("output_blocks.0.1", 64, True), ("output_blocks.1.1", 64, True)]
    assert validate(use_spatial_transformer=True, context_dim=8)[0].context_dims() == (8,)


def test_mlp_spec_fields_and_hooks():
    spec = MLPSpec()
    assert (spec.data_dim, spec.hidden, spec.depth, spec.num_classes) == (2, 128, 3, None)
    assert (spec.data_channels(), spec.output_channels(), spec.data_dims(), spec.spatial_size()) == (2, 2, 1, None)
    assert not spec.accepts_labels() and MLPSpec(num_classes=4).accepts_labels() and not spec.accepts_context()
    for bad in (dict(data_dim=0), dict(hidden=1), dict(depth=0), dict(dropout=-0.1), dict(num_classes=0)):
        with pytest.raises(ValidationError):
            MLPSpec(**bad)


def test_specs_are_registered_through_entry_points_and_have_a_schema():
    assert {"unet", "mlp"} <= set(BACKBONES.names())
    assert BACKBONES.get("unet") is UNetSpec and BACKBONES.get("mlp") is MLPSpec
    assert str(BACKBONES.origin("unet")).startswith("builtin")
    schema = UNetSpec.model_json_schema()
    assert set(schema["required"]) == {"image_size", "in_channels", "model_channels", "out_channels",
                                       "num_res_blocks", "attention_resolutions"}
    assert all(f.description for n, f in UNetSpec.model_fields.items() if n != "name")
    assert all(f.description for n, f in MLPSpec.model_fields.items() if n != "name")


def test_spec_module_is_torch_free():
    code = ("import sys, ddpm_kit.components.backbones.unet; "
            "assert 'torch' not in sys.modules and 'numpy' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------- conditioning slots
def test_conditioning_slots_of_every_key():
    table = {key: conditioning_slots(key) for key in CONDITIONING_KEYS}
    assert table[None].required == () and not table[None].context
    assert table["concat"].required == ("c_concat",)
    assert table["crossattn"].required == ("c_crossattn",) and table["crossattn"].context
    assert table["hybrid"].required == ("c_concat", "c_crossattn")
    assert table["adm"].required == ("c_crossattn",) and table["adm"].labels and not table["adm"].context
    assert table["hybrid-adm"].required == ("c_concat", "c_crossattn", "c_adm") and table["hybrid-adm"].labels
    assert table["crossattn-adm"].required == ("c_crossattn", "c_adm") and table["crossattn-adm"].context
    with pytest.raises(ValueError, match="did you mean 'hybrid'"):
        conditioning_slots("hybrd")


def test_labels_travel_in_the_crossattn_slot_only_for_adm():
    slots = {key: conditioning_slots(key).label_slot for key in CONDITIONING_KEYS}
    assert slots == {None: None, "concat": None, "crossattn": None, "hybrid": None, "adm": "c_crossattn",
                     "hybrid-adm": "c_adm", "crossattn-adm": "c_adm"}
