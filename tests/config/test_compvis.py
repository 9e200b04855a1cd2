"""CompVis-layout configs: the 46 real upstream files are rejected with exact reasons; DDPM files are read."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ddpm_kit.config import validate_file
from tests.conftest import DATA, ROOT
from tests.config.helpers import error_paths, report_for

UPSTREAM = sorted((DATA / "compvis-configs").rglob("*.yaml"))


def test_all_upstream_files_are_present():
    assert len(UPSTREAM) == 46


@pytest.mark.parametrize("path", UPSTREAM, ids=[str(p.relative_to(DATA)) for p in UPSTREAM])
def test_upstream_file_is_rejected_naming_the_unsupported_part(path: Path):
    raw = yaml.safe_load(path.read_text())
    report = validate_file(path)
    assert not report.ok
    first = report.errors[0]
    assert first.line is not None, first
    if "target" in raw["model"]:
        target = raw["model"]["target"]
        assert first.path == "model.target" and target in first.message
        if target.startswith("ldm.models.autoencoder"):
            assert "autoencoder" in first.message
        else:
            assert "latent-diffusion model" in first.message
            stage = raw["model"]["params"].get("first_stage_config")
            if isinstance(stage, dict):
                assert stage["target"] in first.message
    else:
        assert first.path == "model.type" and "Karlo" in first.message


def test_ddpm_target_is_accepted_with_its_meaning_kept():
    path = ROOT / "examples" / "compvis_layout.yaml"
    raw = yaml.safe_load(path.read_text())
    report = validate_file(path)
    assert report.ok, [i.format() for i in report.issues]
    assert report.compvis_layout
    model, params = report.config.model, raw["model"]["params"]
    assert (model.beta_schedule.name, model.beta_schedule.linear_start, model.beta_schedule.linear_end) == (
        "linear", params["linear_start"], params["linear_end"])
    assert model.unet_config.name == "unet"
    for key, value in params["unet_config"]["params"].items():
        got = getattr(model.unet_config, key)
        assert (list(got) if isinstance(got, tuple) else got) == value, key
    assert model.scheduler_config.name == "lambda_linear"
    assert model.monitor == params["monitor"]
    assert report.config.optimizer.base_learning_rate == raw["model"]["base_learning_rate"]
    assert report.config.optimizer.scale_lr  # upstream main.py default
    assert report.config.learning_rate() == pytest.approx(32 * raw["model"]["base_learning_rate"])
    assert report.config.trainer.max_steps == 200
    assert report.config.output.checkpoint_every_n_steps == 100


def _ddpm_file(unet_target="ldm.modules.diffusionmodules.openaimodel.UNetModel", **params):
    unet = {"image_size": 8, "in_channels": 1, "out_channels": 1, "model_channels": 32, "attention_resolutions": [2],
            "num_res_blocks": 1, "channel_mult": [1, 2], "num_head_channels": 8}
    return {
        "model": {"base_learning_rate": 1e-6, "target": "ldm.models.diffusion.ddpm.DDPM",
                  "params": {"image_size": 8, "channels": 1, "unet_config": {"target": unet_target, "params": unet},
                             **params}},
        "data": {"name": "digits", "batch_size": 4},
        "lightning": {"trainer": {"max_steps": 5}},
    }


def test_unknown_targets_are_named_and_never_imported():
    report = report_for(_ddpm_file(unet_target="os.system"))
    assert "'os.system' is not supported" in error_paths(report)["model.params.unet_config.target"]


def test_errors_point_at_the_upstream_paths():
    data = _ddpm_file(timesteps=1, parameterization="score")
    errors = error_paths(report_for(data))
    assert "model.params.timesteps" in errors and "model.params.parameterization" in errors


def test_misspelled_params_key_is_an_error_not_silence():
    data = _ddpm_file()
    data["model"]["params"]["unet_config"]["param"] = data["model"]["params"]["unet_config"].pop("params")
    assert "did you mean 'params'" in report_for(data).errors[0].hint


def test_upstream_data_module_is_named():
    data = _ddpm_file()
    data["data"] = {"target": "main.DataModuleFromConfig",
                    "params": {"batch_size": 4, "train": {"target": "ldm.data.lsun.LSUNChurchesTrain"}}}
    assert "LSUNChurchesTrain" in error_paths(report_for(data))["data.params.train.target"]
