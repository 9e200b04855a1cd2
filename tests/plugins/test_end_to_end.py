"""The example configs that name plugin components validate, train a few steps and sample (``ddpm-kit`` CLI)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
TINY_RUN = ["trainer.max_steps=2", "trainer.enable_progress_bar=false", "trainer.limit_val_batches=1",
            "trainer.val_check_interval=2", "data.batch_size=8", "model.timesteps=50", "model.sampler.steps=4",
            "output.image_every_n_steps=0", "output.num_samples=4"]
SMALL_UNET = ["model.unet_config.model_channels=32", "model.unet_config.num_res_blocks=1"]
SMALL_DIFFUSERS = ["model.unet_config.block_out_channels=[16, 32]", "model.unet_config.layers_per_block=1",
                   "model.unet_config.attention_head_dim=8", "model.unet_config.norm_num_groups=8"]


def train_and_sample(cli, tmp_path, config: str, overrides: list[str]) -> np.ndarray:
    sets = [item for override in TINY_RUN + overrides for item in ("--set", override)]
    code, out, err = cli("train", EXAMPLES / config, *sets, "--out", tmp_path / "run")
    assert code == 0, out + err
    assert "trained to step 2" in out
    checkpoint = tmp_path / "run" / "checkpoints" / "last.ckpt"
    code, out, err = cli("sample", checkpoint, "--n", "4", "--seed", "1", "--device", "cpu",
                         "--out", tmp_path / "grid.png", "--npz", tmp_path / "samples.npz")
    assert code == 0, out + err
    assert "ema weights" in out
    samples = np.load(tmp_path / "samples.npz")["samples"]
    assert samples.shape == (4, 1, 8, 8) and np.isfinite(samples).all()
    return samples


def test_extras_components_train_and_sample(cli, tmp_path):
    from ddpm_kit.generation import generate
    from ddpm_kit.inference import load_for_sampling
    from ddpm_kit_extras.impl.ema import PostHocPowerEma
    from ddpm_kit_extras.posthoc import synthesize_into

    samples = train_and_sample(cli, tmp_path, "plugins_extras.yaml", SMALL_UNET)
    module = load_for_sampling(tmp_path / "run" / "checkpoints" / "last.ckpt", ema=True)
    assert isinstance(module.model_ema, PostHocPowerEma) and int(module.model_ema.num_updates) == 2
    assert module.cfg.beta_schedule.name == "extras.laplace" and module.cfg.loss_weighting.name == "extras.soft_min_snr"
    again, _ = generate(module, 4, seed=1)
    np.testing.assert_allclose(again.numpy(), samples, rtol=0, atol=1e-5)
    synthesize_into(module, target_std=0.05)  # post hoc: another averaging width from the same checkpoint
    narrow, _ = generate(module, 4, seed=1)
    assert not torch.allclose(narrow, again)


def test_diffusers_backbone_trains_and_samples(cli, tmp_path):
    pytest.importorskip("diffusers")
    train_and_sample(cli, tmp_path, "plugins_diffusers.yaml", SMALL_DIFFUSERS)
