"""``--set`` overrides."""

from __future__ import annotations

import pytest

from ddpm_kit.config.overrides import OverrideError, apply_overrides, parse_path
from tests.conftest import ROOT


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


def test_problems_with_a_set_value_are_located_at_the_set_not_in_the_file(tmp_path):
    from ddpm_kit.config import validate_file

    path = tmp_path / "run.yaml"
    path.write_text((ROOT / "examples" / "digits.yaml").read_text())
    report = validate_file(path, ["model.timesteps=x", "model.beta_schedule={name: cosine, cosine_s: -1}",
                                  "trainer.max_step=4"])
    by_path = {issue.path: issue for issue in report.errors}
    assert by_path["model.timesteps"].file == "--set model.timesteps" and by_path["model.timesteps"].line is None
    assert by_path["model.beta_schedule.cosine_s"].file == "--set model.beta_schedule"
    assert by_path["trainer.max_step"].file == "--set trainer.max_step"  # a key that only --set wrote
    assert by_path["trainer.max_step"].format().startswith("--set trainer.max_step: error: trainer.max_step:")
    path.write_text(path.read_text().replace("timesteps: 1000", "timesteps: 1"))
    report = validate_file(path, ["trainer.max_steps=5"])  # the file's own problems keep their lines
    (issue,) = [i for i in report.errors if i.path == "model.timesteps"]
    assert issue.file == str(path) and issue.line is not None
