"""A 24x40 (H x W) image-folder run trains, writes grids, samples and exports (safetensors and diffusers)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from ddpm_kit.training.run import train
from tests.training.test_train import run_config

H, W = 24, 40


def folder_config(root, cache) -> dict:
    unet = {"name": "unet", "image_size": [H, W], "in_channels": 3, "out_channels": 3, "model_channels": 32,
            "num_res_blocks": 1, "attention_resolutions": [2], "channel_mult": [1, 2, 2, 2], "num_head_channels": 32,
            "use_scale_shift_norm": True}
    return {
        "model": {"unet_config": unet, "image_size": [H, W], "channels": 3, "timesteps": 20, "monitor": "train/loss",
                  "ema": {"name": "lit_ema", "decay": 0.9}, "sampler": {"name": "ddim", "steps": 3}},
        "data": {"name": "image_folder", "path": str(root), "image_size": [H, W], "channels": 3, "val_fraction": 0,
                 "batch_size": 4, "cache_dir": str(cache), "augment": [{"name": "hflip"}]},
        "trainer": {"max_steps": 2, "accelerator": "cpu", "devices": 1, "enable_progress_bar": False},
        "optimizer": {"lr": 1e-3},
        "output": {"image_every_n_steps": 0, "checkpoint_every_n_steps": 2, "num_samples": 3},
        "seed": 3,
    }


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("pngs")
    rng = np.random.default_rng(0)
    for i in range(6):  # 50 wide, 36 high: resized to cover 24 x 40, then center-cropped
        Image.fromarray(rng.integers(0, 256, (36, 50, 3), dtype=np.uint8)).save(root / f"{i}.png")
    run = run_config(folder_config(root, tmp_path_factory.mktemp("cache")))
    return run, train(run, tmp_path_factory.mktemp("run") / "out")


def test_the_run_trains_on_h_by_w_items_and_writes_h_by_w_grids(trained):
    from ddpm_kit.components.data.image_folder_impl import build_image_folder

    run, result = trained
    assert result.global_step == 2
    assert build_image_folder(run.data).train[0]["image"].shape == (3, H, W)
    grid = Image.open(next(result.out_dir.glob("images/*_samples.png")))
    assert grid.size == (4 * (2 * (W + 2) + 2), 4 * (2 * (H + 2) + 2))  # 2 x 2 tiles, 2-pixel padding, scale 4


def test_samples_and_the_safetensors_export_are_h_by_w(trained, cli, tmp_path):
    ckpt = trained[1].last_checkpoint
    code, _, err = cli("sample", ckpt, "--n", "2", "--seed", "1", "--out", tmp_path / "s.png", "--npz",
                       tmp_path / "s.npz")
    assert code == 0, err
    samples = np.load(tmp_path / "s.npz")["samples"]
    assert samples.shape == (2, 3, H, W)
    code, _, err = cli("export", ckpt, "--safetensors", "--out", tmp_path / "export")
    assert code == 0, err
    config = json.loads((tmp_path / "export" / "config.json").read_text())
    assert config["hyper_parameters"]["run"]["model"]["image_size"] == [H, W]
    code, _, err = cli("sample", tmp_path / "export", "--n", "2", "--seed", "1", "--out", tmp_path / "f.png",
                       "--npz", tmp_path / "f.npz")
    assert code == 0, err
    assert np.array_equal(np.load(tmp_path / "f.npz")["samples"], samples)


def test_the_diffusers_export_has_an_h_w_sample_size_and_the_same_network(trained, tmp_path):
    diffusers = pytest.importorskip("diffusers")
    import torch

    from ddpm_kit.inference import load_for_sampling
    from ddpm_kit.interop.diffusers_export import export_diffusers

    ckpt = trained[1].last_checkpoint
    export_diffusers(ckpt, tmp_path / "pipe")
    assert json.loads((tmp_path / "pipe" / "unet" / "config.json").read_text())["sample_size"] == [H, W]
    unet = diffusers.UNet2DModel.from_pretrained(tmp_path / "pipe" / "unet").eval()
    module = load_for_sampling(ckpt, ema=None)
    x, t = torch.randn(2, 3, H, W, generator=torch.Generator().manual_seed(0)), torch.tensor([0, 19])
    with torch.no_grad():
        ours, theirs = module.model.diffusion_model(x, t), unet(x, t).sample
    assert ours.shape == (2, 3, H, W) and (ours - theirs).abs().max() <= 1e-5


def test_validate_refuses_a_size_the_unet_cannot_downsample(cli, write_config, tmp_path):
    config = folder_config(tmp_path, tmp_path)
    config["model"]["image_size"] = config["data"]["image_size"] = [H, 36]
    code, out, err = cli("validate", write_config(config))
    assert code == 1, out + err
    assert "24x36" in out + err and "W = 36" in out + err and "Traceback" not in out + err
