"""Every DDPM argument: a valid and an invalid value, with the field named in the error."""

from __future__ import annotations

import math

import pytest

from tests.config.helpers import error_paths, report_for

CASES = [
    # field, valid value, invalid value, fragment of the message
    ("timesteps", 500, 1, "greater than or equal to 2"),
    ("timesteps", 2000, 2.5, "integer"),
    ("timesteps", 1000, "many", "integer"),
    ("parameterization", "v", "epsilon", "'eps', 'x0' or 'v'"),
    ("parameterization", "x0", None, "'eps', 'x0' or 'v'"),
    ("linear_start", 1e-3, 0.0, "greater than 0"),
    ("linear_end", 0.03, 1.0, "less than 1"),
    ("cosine_s", 0.0, -0.1, "greater than or equal to 0"),
    ("v_posterior", 1.0, 1.5, "less than or equal to 1"),
    ("v_posterior", 0.2, -0.1, "greater than or equal to 0"),
    ("l_simple_weight", 0.5, -1.0, "greater than or equal to 0"),
    ("original_elbo_weight", 0.001, -0.5, "greater than or equal to 0"),
    ("log_every_t", 1, 0, "greater than or equal to 1"),
    ("ignore_keys", ["cond_stage_model."], "cond_stage_model", "list of key prefixes"),
    ("ignore_keys", [], [1, 2], "valid string"),
    ("use_ema", False, "sometimes", "boolean"),
    ("clip_denoised", False, [True], "boolean"),
    ("conditioning_key", None, "crossattention", "'concat', 'crossattn'"),
    ("monitor", "val/loss_simple", "", "at least 1 character"),
    ("first_stage_key", "image", "", "at least 1 character"),
    ("logvar_init", -1.0, math.inf, "finite number"),
    ("learn_logvar", True, "yes please", "boolean"),
    ("use_positional_encodings", False, 3, "boolean"),
    ("lvlb_weights", "corrected", "fixed", "'compvis' or 'corrected'"),
    ("make_it_fit", False, {"a": 1}, "boolean"),
    ("ucg_training", {"class_label": {"p": 0.1, "val": 10}}, {"class_label": {"p": 2.0}}, "less than or equal to 1"),
]


@pytest.mark.parametrize("field,valid,invalid,fragment", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_field_valid_and_invalid(base_config, field, valid, invalid, fragment):
    base_config["model"][field] = valid
    report = report_for(base_config)
    assert not any(i.path.startswith(f"model.{field}") for i in report.errors), report.errors
    base_config["model"][field] = invalid
    errors = error_paths(report_for(base_config))
    matching = {p: m for p, m in errors.items() if p.startswith(f"model.{field}")}
    assert matching, errors
    assert any(fragment in m for m in matching.values()), matching


def test_nan_is_refused_everywhere(base_config):
    base_config["model"]["linear_start"] = float("nan")
    base_config["optimizer"]["lr"] = float("nan")
    base_config["model"]["unet_config"]["dropout"] = float("inf")
    errors = error_paths(report_for(base_config))
    assert {"model.linear_start", "optimizer.lr", "model.unet_config.dropout"} <= set(errors)


def test_unknown_key_suggests_the_right_one(base_config):
    base_config["model"]["paramterization"] = "v"
    base_config["trainer"]["max_step"] = 5
    report = report_for(base_config)
    by_path = {i.path: i for i in report.errors}
    assert by_path["model.paramterization"].hint == "did you mean 'parameterization'?"
    assert by_path["trainer.max_step"].hint.startswith("did you mean 'max_steps'")


def test_unknown_component_name_suggests_close_matches(base_config):
    base_config["model"]["beta_schedule"] = "cosin"
    base_config["model"]["loss_type"] = "l3"
    errors = error_paths(report_for(base_config))
    assert "did you mean 'cosine'" in errors["model.beta_schedule"]
    assert "unknown loss 'l3'" in errors["model.loss_type"]


def test_unknown_component_parameter_is_reported_inside_the_component(base_config):
    base_config["model"]["unet_config"]["model_chanels"] = 32
    report = report_for(base_config)
    issue = next(i for i in report.errors if i.path == "model.unet_config.model_chanels")
    assert issue.hint.startswith("did you mean 'model_channels'")


def test_given_betas_rules(base_config):
    model = base_config["model"]
    model["given_betas"] = [0.1, 0.2, 0.3]
    report = report_for(base_config)
    assert report.ok, report.issues
    assert report.config.model.beta_schedule.name == "given_betas"
    assert report.config.model.timesteps == 3
    model["given_betas"] = [0.1]
    assert "model.given_betas" in error_paths(report_for(base_config))
    model["given_betas"] = [0.1, 1.5]
    assert any(p.startswith("model.given_betas") for p in error_paths(report_for(base_config)))
    model["given_betas"] = [0.1, 0.2]
    model["beta_schedule"] = "cosine"
    model["linear_start"] = 1e-3
    model["timesteps"] = 1000
    errors = error_paths(report_for(base_config))
    assert "conflicts with given_betas" in errors["model.beta_schedule"]
    assert "conflicts with given_betas" in errors["model.linear_start"]
    assert "T = 2" in errors["model.timesteps"]


def test_flat_schedule_arguments_reach_the_schedule(base_config):
    base_config["model"].update(linear_start=0.00085, linear_end=0.012)
    report = report_for(base_config)
    assert report.ok, report.issues
    schedule = report.config.model.beta_schedule
    assert (schedule.name, schedule.linear_start, schedule.linear_end) == ("linear", 0.00085, 0.012)


def test_schedule_errors_are_reported_at_the_flat_argument(base_config):
    base_config["model"].update(linear_start=0.05, linear_end=0.01)
    report = report_for(base_config)
    assert any(i.path in ("model.linear_start", "model.linear_end", "model.beta_schedule") and "linear_start" in
               i.message for i in report.errors), report.errors


def test_flat_and_mapping_disagree(base_config):
    base_config["model"]["beta_schedule"] = {"name": "linear", "linear_start": 0.001}
    base_config["model"]["linear_start"] = 0.002
    assert "disagrees with beta_schedule.linear_start" in error_paths(report_for(base_config))["model.linear_start"]
