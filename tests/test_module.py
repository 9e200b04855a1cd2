"""The DDPM LightningModule: validated constructor, upstream names, upstream loss numbers, EMA handling."""

from __future__ import annotations

import json

import pytest
import torch

from ddpm_kit import DDPM
from ddpm_kit.config import ConfigError
from tests.conftest import DATA

UNET = {"name": "unet", "image_size": 8, "in_channels": 1, "out_channels": 1, "model_channels": 32,
        "num_res_blocks": 1, "attention_resolutions": [2], "channel_mult": [1, 2], "num_head_channels": 8}


def small(**kwargs) -> DDPM:
    args = dict(unet_config=UNET, image_size=8, channels=1, timesteps=1000, learning_rate=1e-3)
    args.update(kwargs)
    return DDPM(**args)


def test_constructor_errors_are_the_config_errors():
    with pytest.raises(ConfigError) as info:
        DDPM(unet_config=UNET, image_size=8, channels=1, timesteps=1, parameterization="score",
             ignore_keys="cond_stage_model", load_only_unet=True)
    paths = {issue.path for issue in info.value.issues if issue.severity == "error"}
    assert {"timesteps", "parameterization", "ignore_keys"} <= paths
    with pytest.raises(ConfigError, match="unet_config: is required"):
        DDPM()
    with pytest.raises(ConfigError, match="load_only_unet: needs ckpt_path"):
        small(load_only_unet=True)


def test_state_dict_has_upstream_names():
    module = small(learn_logvar=True)
    keys = set(module.state_dict())
    assert "model.diffusion_model.input_blocks.0.0.weight" in keys
    assert {"model_ema.decay", "model_ema.num_updates", "betas", "posterior_log_variance_clipped", "logvar"} <= keys
    assert "model_ema.diffusion_modelinput_blocks00weight" in keys  # LitEma's dot-stripped shadow names
    assert "lvlb_weights" not in keys  # non-persistent, as upstream
    assert "logvar" not in small().state_dict()  # only a learned logvar is saved
    assert isinstance(module.logvar, torch.nn.Parameter)


CASES = json.loads((DATA / "vectors" / "loss_vectors.json").read_text())


def _inputs(shape):
    tensors = {k: torch.tensor(CASES["inputs"][k], dtype=torch.float32).reshape(shape) for k in
               ("x0", "noise", "model_output")}
    return tensors["x0"], tensors["noise"], tensors["model_output"]


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: "-".join(str(c["config"][k]) for k in
                                                                    ("timesteps", "parameterization", "loss_type")))
def test_p_losses_reproduce_upstream(case, monkeypatch):
    shape = CASES["inputs"]["shape"]
    config = dict(case["config"])
    unet = dict(UNET, image_size=shape[2], in_channels=shape[1], out_channels=shape[1], channel_mult=[1],
                attention_resolutions=[])
    module = DDPM(unet_config=unet, image_size=shape[2], channels=shape[1], monitor=None, use_ema=False,
                  learning_rate=1e-3, **config)
    x0, noise, output = _inputs(shape)
    monkeypatch.setattr(module, "apply_model", lambda x, t, cond=None: output)
    module.train()
    loss, logged = module.p_losses(x0, torch.tensor(case["t"]), noise=noise)
    for key, value in case["loss_dict_train"].items():
        assert logged[key].item() == pytest.approx(value, rel=1e-6), key
    assert loss.item() == pytest.approx(case["loss"], rel=1e-6)


def test_validation_names_and_ema_scope():
    module = small()
    with torch.no_grad():
        for p in module.model.parameters():
            p.add_(0.01)
    before = [p.clone() for p in module.model.parameters()]
    with module.ema_scope():
        inside = [p.clone() for p in module.model.parameters()]
    after = list(module.model.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, inside))
    assert all(torch.equal(a, b) for a, b in zip(before, after))


def test_channels_first_data_is_not_scrambled():
    from ddpm_kit.module_parts.batches import BatchError

    module = small(channels=1)
    images = torch.randn(2, 1, 8, 8)
    with pytest.raises(BatchError, match="channels_last"):
        module.get_input({"image": images.expand(2, 3, 8, 8)}, "image")
    module.input_layout = "channels_first"
    assert torch.equal(module.get_input({"image": images}, "image"), images)


def test_condition_dropout_is_seeded_and_copies_the_batch():
    module = small(unet_config=dict(UNET, num_classes=11), conditioning_key="adm",
                   condition_keys={"labels": "class_label"}, ucg_training={"class_label": {"p": 0.5, "val": 10}})
    batch = {"image": torch.randn(64, 8, 8, 1), "class_label": torch.arange(64) % 10}
    original = batch["class_label"].clone()
    a = module.ucg(batch, torch.Generator().manual_seed(3))["class_label"]
    b = module.ucg(batch, torch.Generator().manual_seed(3))["class_label"]
    assert torch.equal(a, b) and torch.equal(batch["class_label"], original)
    assert 10 < int((a == 10).sum()) < 54


def test_guided_sampling_runs_for_labels():
    module = small(unet_config=dict(UNET, num_classes=11), conditioning_key="adm", timesteps=50,
                   condition_keys={"labels": "class_label"}, ucg_training={"class_label": {"p": 0.1, "val": 10}},
                   guidance_scale=3.0, sampler={"name": "ddim", "steps": 4}, beta_schedule="iddpm_linear")
    samples = module.sample(3, labels=torch.tensor([1, 2, 3]))
    assert samples.shape == (3, 1, 8, 8) and torch.isfinite(samples).all()
