"""``--set`` overrides."""

from __future__ import annotations

import pytest

from ddpm_kit.config.overrides import OverrideError, apply_overrides, parse_path


def test_nested_values_are_yaml_typed():
    data = apply_overrides({"trainer": {"max_steps": 5}}, ["trainer.max_steps=200", "model.linear_start=1e-3",
                                                           "model.use_ema=false", "model.ignore_keys=[a., b.]"])
    assert data == {"trainer": {"max_steps": 200},
                    "model": {"linear_start": 1e-3, "use_ema": False, "ignore_keys": ["a.", "b."]}}


def test_original_is_not_modified():
    original = {"a": {"b": 1}}
    apply_overrides(original, ["a.b=2"])
    assert original == {"a": {"b": 1}}


def test_component_by_name_grows_into_a_mapping():
    data = apply_overrides({"model": {"beta_schedule": "cosine"}}, ["model.beta_schedule.cosine_s=0.01"])
    assert data["model"]["beta_schedule"] == {"name": "cosine", "cosine_s": 0.01}


def test_whole_node_replacement_and_list_items():
    data = apply_overrides({"model": {"ignore_keys": ["x", "y"]}},
                           ["model.beta_schedule={name: linear}", "model.ignore_keys[1]=z"])
    assert data["model"] == {"ignore_keys": ["x", "z"], "beta_schedule": {"name": "linear"}}


@pytest.mark.parametrize("bad", ["novalue", "a..b=1", "a.b=[1, 2", "model.ignore_keys[5]=x", "=3"])
def test_malformed_overrides_are_usage_errors(bad):
    with pytest.raises(OverrideError):
        apply_overrides({"model": {"ignore_keys": ["x"]}}, [bad])


def test_parse_path():
    assert parse_path("model.ignore_keys[2]") == ("model", "ignore_keys", 2)
