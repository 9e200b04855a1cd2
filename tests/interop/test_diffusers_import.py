"""``ddpm-kit import-diffusers``: strict key mapping, export -> import -> export bit-identical, clear refusals."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

from tests.interop.test_diffusers_export import RGB16, random_checkpoint

FILES = ("model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
         "scheduler/scheduler_config.json")
PLUGIN_RUN = {"model": {"unet_config": {"name": "diffusers.unet2d", "sample_size": 8, "in_channels": 1,
                                        "out_channels": 1, "block_out_channels": [8, 16],
                                        "down_block_types": ["DownBlock2D", "AttnDownBlock2D"],
                                        "up_block_types": ["AttnUpBlock2D", "UpBlock2D"], "layers_per_block": 1,
                                        "norm_num_groups": 4, "attention_head_dim": 4},
                        "timesteps": 50, "parameterization": "x0", "image_size": 8, "channels": 1,
                        "ema": {"name": "lit_ema"}, "sampler": {"name": "ddim", "steps": 10}},
              "data": {"name": "digits", "batch_size": 8}}


@pytest.fixture(scope="module")
def rgb16(tmp_path_factory):
    from ddpm_kit.interop.diffusers_export import export_diffusers

    folder = tmp_path_factory.mktemp("import")
    ckpt = random_checkpoint(RGB16, folder / "rgb16.ckpt")
    export_diffusers(ckpt, folder / "export")
    return folder / "export"


def test_export_import_export_is_bit_identical(cli, rgb16, tmp_path):
    code, out, err = cli("import-diffusers", rgb16, "--out", tmp_path / "imported.ckpt")
    assert code == 0, err
    code, _, err = cli("export", tmp_path / "imported.ckpt", "--diffusers", "--out", tmp_path / "again")
    assert code == 0, err
    for name in FILES:
        assert (rgb16 / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name


def test_the_plugin_backbone_exports_as_is_and_round_trips(cli, tmp_path):
    pytest.importorskip("diffusers")
    ckpt = random_checkpoint(PLUGIN_RUN, tmp_path / "plugin.ckpt")
    code, _, err = cli("export", ckpt, "--diffusers", "--out", tmp_path / "a")
    assert code == 0, err
    weights = load_file(str(tmp_path / "a" / FILES[2]))
    stored = torch.load(ckpt, weights_only=True)["state_dict"]
    assert weights.keys() == {
        k.removeprefix("model.diffusion_model.unet.") for k in stored if k.startswith("model.diffusion_model.unet.")}
    assert json.loads((tmp_path / "a" / "scheduler" / "scheduler_config.json").read_text())["prediction_type"] == \
        "sample"
    code, _, err = cli("import-diffusers", tmp_path / "a", "--backbone", "diffusers.unet2d",
                       "--out", tmp_path / "b.ckpt")
    assert code == 0, err
    code, _, err = cli("export", tmp_path / "b.ckpt", "--diffusers", "--out", tmp_path / "c")
    assert code == 0, err
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "c" / name).read_bytes(), name


def edited_copy(source, target, edit):
    shutil.copytree(source, target)
    path = target / FILES[2]
    weights = load_file(str(path))
    edit(weights)
    save_file(weights, str(path))
    return target


def test_missing_and_extra_keys_are_listed(cli, rgb16, tmp_path):
    folder = edited_copy(rgb16, tmp_path / "bad", lambda w: (w.pop("conv_in.bias"), w.update(extra=torch.zeros(1))))
    code, _, err = cli("import-diffusers", folder, "--out", tmp_path / "x.ckpt")
    assert code == 1 and "missing keys ['conv_in.bias']" in err and "unexpected keys ['extra']" in err, err
    assert "Traceback" not in err and not (tmp_path / "x.ckpt").exists()


@pytest.mark.parametrize("edit, message", [
    (lambda c: c.update(_class_name="UNet2DConditionModel"), "_class_name 'UNet2DConditionModel'"),
    (lambda c: c.update(act_fn="gelu"), "act_fn='gelu'"),
    (lambda c: c.update(center_input_sample=True), "center_input_sample=True"),
    (lambda c: c.update(down_block_types=["SkipDownBlock2D", "AttnDownBlock2D"]), "down_block_types="),
])
def test_another_architecture_is_a_clear_error(cli, rgb16, tmp_path, edit, message):
    folder = tmp_path / "other"
    shutil.copytree(rgb16, folder)
    config = json.loads((folder / FILES[1]).read_text())
    edit(config)
    (folder / FILES[1]).write_text(json.dumps(config))
    code, _, err = cli("import-diffusers", folder, "--out", tmp_path / "x.ckpt")
    assert code == 1 and message in err and "Traceback" not in err, err


def test_a_scheduler_without_trained_betas_is_refused(cli, rgb16, tmp_path):
    folder = tmp_path / "nobetas"
    shutil.copytree(rgb16, folder)
    config = json.loads((folder / FILES[3]).read_text())
    del config["trained_betas"]
    (folder / FILES[3]).write_text(json.dumps(config))
    code, _, err = cli("import-diffusers", folder, "--out", tmp_path / "x.ckpt")
    assert code == 1 and "trained_betas is missing" in err, err
