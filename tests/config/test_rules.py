"""Cross-field rules: each misconfiguration that upstream accepts silently is an error (or a warning) here."""

from __future__ import annotations

import pytest

from tests.config.helpers import error_paths, report_for, warning_paths


def test_base_config_is_valid(base_config):
    report = report_for(base_config)
    assert report.ok, [i.format() for i in report.issues]
    assert report.config.model.beta_schedule.name == "linear"  # CompVis default


def test_both_loss_weights_zero(base_config):
    base_config["model"].update(l_simple_weight=0.0, original_elbo_weight=0.0)
    assert "nothing is trained" in error_paths(report_for(base_config))["model.l_simple_weight"]


def test_checkpoint_arguments(base_config, tmp_path):
    model = base_config["model"]
    model["load_only_unet"] = True
    assert "nothing to load" in error_paths(report_for(base_config))["model.load_only_unet"]
    model["load_only_unet"] = False
    model["ckpt_path"] = str(tmp_path / "missing.ckpt")
    assert "no such file" in error_paths(report_for(base_config))["model.ckpt_path"]
    del model["ckpt_path"]
    model["ignore_keys"] = ["model_ema."]
    assert "ignored without ckpt_path" in warning_paths(report_for(base_config))["model.ignore_keys"]
    model["reset_ema"] = True
    assert "needs ckpt_path" in error_paths(report_for(base_config))["model.reset_ema"]


def test_ema_flags_need_ema(base_config):
    base_config["model"].update(use_ema=False, reset_num_ema_updates=True, ema={"name": "lit_ema", "decay": 0.99})
    report = report_for(base_config)
    assert "needs use_ema" in error_paths(report)["model.reset_num_ema_updates"]
    assert "ignored because use_ema is false" in warning_paths(report)["model.ema"]


def test_ignored_flat_argument_is_a_warning_and_strict_makes_it_an_error(base_config):
    base_config["model"].update(beta_schedule="cosine", linear_start=0.0015, linear_end=0.0195)
    report = report_for(base_config)
    assert report.ok
    warnings = warning_paths(report)
    assert "ignored by beta_schedule 'cosine'" in warnings["model.linear_start"]
    assert "model.linear_end" in warnings
    strict = report_for(base_config, strict=True)
    assert not strict.ok and "model.linear_start" in error_paths(strict)


def test_terminal_alpha_bar_checks(base_config):
    base_config["model"]["timesteps"] = 100  # CompVis linear at T=100 keeps a lot of signal
    assert "keeps signal" in warning_paths(report_for(base_config))["model.beta_schedule"]
    base_config["model"].update(timesteps=1000, beta_schedule="sqrt")  # alpha_bar_T ~ 3e-44
    assert "underflows float32" in error_paths(report_for(base_config))["model.beta_schedule"]


def test_eps_without_clipping_warns_when_alpha_bar_T_amplifies_errors(base_config):
    model = base_config["model"]
    model["beta_schedule"] = "sqrt_linear"  # DDPM's linear betas at T = 1000: alpha_bar_T 4.0e-5, x157 at t = T
    assert "model.clip_denoised" not in warning_paths(report_for(base_config))  # clipping on (the default)
    model["clip_denoised"] = False
    assert "multiplies an eps error by 157" in warning_paths(report_for(base_config))["model.clip_denoised"]
    model["beta_schedule"] = "linear"  # CompVis linear: x37
    assert "model.clip_denoised" not in warning_paths(report_for(base_config))
    model["beta_schedule"] = {"name": "scaled_linear", "linear_start": 0.00085, "linear_end": 0.012}  # SD: x15
    assert "model.clip_denoised" not in warning_paths(report_for(base_config))
    model.update(beta_schedule="cosine", parameterization="v")
    assert "model.clip_denoised" not in warning_paths(report_for(base_config))


def test_zero_terminal_snr_needs_v(base_config):
    base_config["model"]["beta_schedule"] = {"name": "linear", "zero_terminal_snr": True}
    assert "zero terminal SNR" in error_paths(report_for(base_config))["model.parameterization"]
    base_config["model"]["parameterization"] = "v"
    base_config["model"]["sampler"] = "ddim"
    report = report_for(base_config)
    assert "model.parameterization" not in error_paths(report)


def test_sampler_step_count_is_checked(base_config):
    base_config["model"]["sampler"] = {"name": "ddim", "steps": 5000}
    assert "model.sampler" in error_paths(report_for(base_config))


def test_monitor_must_be_logged(base_config):
    base_config["model"].update(use_ema=False, monitor="val/loss_simple_ema")
    message = error_paths(report_for(base_config))["model.monitor"]
    assert "never logged" in message
    base_config["model"]["monitor"] = "val/los"
    assert "did you mean 'val/loss'" in error_paths(report_for(base_config))["model.monitor"]


def test_x0_elbo_weights_warning(base_config):
    base_config["model"].update(parameterization="x0", original_elbo_weight=0.1)
    assert "precedence slip" in warning_paths(report_for(base_config))["model.lvlb_weights"]
    base_config["model"]["lvlb_weights"] = "corrected"
    assert "model.lvlb_weights" not in warning_paths(report_for(base_config))


@pytest.mark.parametrize("change,path,fragment", [
    ({"unet_config.in_channels": 3}, "model.unet_config.in_channels", "must equal channels"),
    ({"unet_config.out_channels": 2}, "model.unet_config.out_channels", "must equal channels"),
    ({"unet_config.num_classes": 10}, "model.conditioning_key", "no labels are supplied"),
    ({"conditioning_key": "adm"}, "model.conditioning_key", "no num_classes"),
    ({"conditioning_key": "crossattn"}, "model.conditioning_key", "cross-attention"),
    ({"unet_config.use_spatial_transformer": True, "unet_config.context_dim": 8}, "model.conditioning_key",
     "no context is supplied"),
    ({"conditioning_key": "concat"}, "model.unet_config.in_channels", "concat conditioning needs more than"),
    ({"use_positional_encodings": True}, "model.unet_config.in_channels", "coordinate channels"),
])
def test_backbone_against_model(base_config, change, path, fragment):
    for dotted, value in change.items():
        node = base_config["model"]
        *parents, last = dotted.split(".")
        for part in parents:
            node = node[part]
        node[last] = value
    assert fragment in error_paths(report_for(base_config))[path]


def test_backbone_image_size_mismatch_is_a_warning(base_config):
    base_config["model"]["unet_config"]["image_size"] = 16
    assert "no effect on the network" in warning_paths(report_for(base_config))["model.unet_config.image_size"]


def test_one_channel_groupnorm_warns_about_the_lost_time_embedding(base_config):
    assert "do not see t" in warning_paths(report_for(base_config))["model.unet_config.use_scale_shift_norm"]
    base_config["model"]["unet_config"]["use_scale_shift_norm"] = True
    assert "model.unet_config.use_scale_shift_norm" not in warning_paths(report_for(base_config))


def test_positional_encodings_with_matching_in_channels(base_config):
    base_config["model"]["use_positional_encodings"] = True
    base_config["model"]["unet_config"]["in_channels"] = 3
    assert report_for(base_config).ok


def test_data_against_model(base_config):
    base_config["model"]["first_stage_key"] = "img"
    base_config["data"]["image_size"] = 16
    errors = error_paths(report_for(base_config))
    assert "no key 'img'" in errors["model.first_stage_key"]
    assert "16x16" in errors["model.image_size"]


def test_trainer_needs_an_end(base_config):
    base_config["trainer"] = {"max_steps": -1}
    assert "needs an end" in error_paths(report_for(base_config))["trainer"]


def test_exactly_one_learning_rate(base_config):
    base_config["optimizer"] = {"lr": 1e-4, "base_learning_rate": 1e-6}
    assert "exactly one" in error_paths(report_for(base_config))["optimizer"]


def test_upstream_learning_rate_scaling(base_config):
    base_config["optimizer"] = {"base_learning_rate": 1e-6}
    base_config["trainer"].update(accumulate_grad_batches=2, devices=1, num_nodes=3)
    report = report_for(base_config)
    assert report.config.learning_rate() == pytest.approx(2 * 1 * 3 * 16 * 1e-6)
    assert report.config.effective_batch_size() == 96


def test_required_plugins(base_config):
    base_config["require_plugins"] = ["surely-not-installed-ddpm-plugin>=1.0", "pydantic>=999", "pydantic>=2.0",
                                      "not a requirement!"]
    errors = error_paths(report_for(base_config))
    assert "is not installed" in errors["require_plugins[0]"]
    assert "the config needs >=999" in errors["require_plugins[1]"]
    assert "require_plugins[2]" not in errors
    assert "not a requirement" in errors["require_plugins[3]"]


def test_issue_positions_point_into_the_file(base_config, write_config):
    from ddpm_kit.config import validate_file

    base_config["model"]["timesteps"] = 1
    path = write_config(base_config)
    issue = next(i for i in validate_file(path).errors if i.path == "model.timesteps")
    line = path.read_text().splitlines()[issue.line - 1]
    assert line.strip().startswith("timesteps:") and issue.file == str(path)


def test_lr_schedule_length_should_match_the_run(base_config):
    base_config["model"]["scheduler_config"] = {"name": "warmup_cosine", "warmup_steps": 2, "total_steps": 10}
    assert "model.scheduler_config.total_steps" not in warning_paths(report_for(base_config))
    base_config["trainer"]["max_steps"] = 50
    assert "will not end with the run" in warning_paths(report_for(base_config))["model.scheduler_config.total_steps"]
