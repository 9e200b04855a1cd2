"""``ddpm-kit export --diffusers``: what diffusers loads equals what ddpm-kit computes; refusals name the field."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
import torch
import yaml

from ddpm_kit.config import validate_source
from ddpm_kit.config.source import Source

os.environ["HF_HUB_OFFLINE"] = "1"  # nothing below may reach the network
diffusers = pytest.importorskip("diffusers")

PRESET = Path(__file__).parents[2] / "ddpm_kit" / "presets" / "digits.yaml"
RGB16: dict = {  # label-free 16x16 RGB unet, eps-prediction, 2 and 4 legacy-order heads, additive time emb
    "model": {"unet_config": {"name": "unet", "image_size": 16, "in_channels": 3, "out_channels": 3,
                              "model_channels": 32, "num_res_blocks": 1, "attention_resolutions": [1, 2],
                              "channel_mult": [1, 2], "num_head_channels": 16},
              "timesteps": 100, "beta_schedule": "linear", "parameterization": "eps", "image_size": 16,
              "channels": 3, "ema": {"name": "lit_ema", "decay": 0.9}, "sampler": {"name": "ddim", "steps": 10}},
    # the data is never read (random weights); it only fixes the declared image shape
    "data": {"name": "image_folder", "path": "unused", "image_size": 16, "channels": 3, "batch_size": 8},
}


def digits_run() -> dict:
    return yaml.safe_load(PRESET.read_text())


def random_checkpoint(run: dict, path: Path, seed: int = 0) -> Path:
    """A checkpoint of ``run`` with random weights (zero-initialised layers too) and different random EMA weights."""
    from ddpm_kit.module import DDPM

    report = validate_source(Source(run, "test run"))
    assert report.ok, [i.format() for i in report.errors]
    module = DDPM(run=report.config)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.1)
        for name in module.ema_modules:
            ema = getattr(module, name)
            for shadow in ema.param_to_shadow.values():
                getattr(ema, shadow).copy_(torch.randn(getattr(ema, shadow).shape, generator=g) * 0.1)
    torch.save({"state_dict": module.state_dict(), "hyper_parameters": dict(module.hparams), "global_step": 0}, path)
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """{name: (checkpoint, export folder)} for the digits default and the 16x16 RGB unet."""
    from ddpm_kit.interop.diffusers_export import export_diffusers

    folder = tmp_path_factory.mktemp("diffusers")
    out = {}
    for name, run in (("digits", digits_run()), ("rgb16", RGB16)):
        ckpt = random_checkpoint(run, folder / f"{name}.ckpt")
        export_diffusers(ckpt, folder / name)
        out[name] = (ckpt, folder / name)
    return out


def sampling_module(ckpt: Path, ema: bool = True):
    from ddpm_kit.inference import load_for_sampling

    return load_for_sampling(ckpt, ema=None if ema else False)


@pytest.mark.parametrize("name", ["digits", "rgb16"])
def test_unet2d_output_equals_the_network(exported, name):
    ckpt, folder = exported[name]
    module = sampling_module(ckpt)
    unet = diffusers.UNet2DModel.from_pretrained(folder / "unet").eval()
    spec = module.cfg.unet_config
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, spec.in_channels, spec.image_size, spec.image_size, generator=g)
    t = torch.tensor([0, module.num_timesteps // 2, module.num_timesteps - 1])
    with torch.no_grad():
        ours, theirs = module.model.diffusion_model(x, t), unet(x, t).sample
    assert ours.abs().max() > 0.1  # the weights are random: a real output, not zeros
    assert (ours - theirs).abs().max() <= 1e-5


def test_pipelines_load_offline_and_the_scheduler_has_our_betas(exported):
    ckpt, folder = exported["digits"]
    module = sampling_module(ckpt)
    pipe = diffusers.DDPMPipeline.from_pretrained(folder)
    assert isinstance(pipe.scheduler, diffusers.DDPMScheduler)
    assert torch.equal(pipe.scheduler.betas, module.betas.float())
    config = pipe.scheduler.config
    assert (config.prediction_type, config.variance_type, config.clip_sample) == ("v_prediction", "fixed_small",
                                                                                 module.clip_denoised)
    ddim = diffusers.DDIMPipeline.from_pretrained(folder)
    # diffusers takes the cumulative product in float32, ddpm-kit in float64 (then rounds): last-bit differences
    assert torch.allclose(ddim.scheduler.alphas_cumprod, module.alphas_cumprod.float(), rtol=1e-4, atol=0)
    images = ddim(batch_size=1, num_inference_steps=2, output_type="np",
                  generator=torch.Generator().manual_seed(0)).images
    assert images.shape == (1, 8, 8, 1)


@pytest.mark.parametrize("name", ["digits", "rgb16"])
def test_ddim_10_steps_match(exported, name):
    from ddpm_kit.components.samplers.ddim_impl import DDIMSampler
    from ddpm_kit.module_parts.sampling import sample
    from ddpm_kit.components.samplers.ddim import DDIMSamplerSpec

    ckpt, folder = exported[name]
    module = sampling_module(ckpt)
    spec = module.cfg.unet_config
    x_T = torch.randn(2, spec.in_channels, spec.image_size, spec.image_size, generator=torch.Generator().manual_seed(2))
    # diffusers' DDIM clips x0 but keeps the unclipped eps, ddpm-kit recomputes eps from the clipped x0: compare
    # unclipped (README, "Coming from diffusers")
    module.clip_denoised = False
    ours, _ = sample(module, 2, sampler=DDIMSampler(DDIMSamplerSpec(steps=10)), x_T=x_T, use_ema=False)
    # ddpm-kit's uniform spacing: tau_k = k T/S + 1, alpha_prev of the first step alpha_bar[0]
    scheduler = diffusers.DDIMScheduler.from_pretrained(folder, subfolder="scheduler", steps_offset=1,
                                                        set_alpha_to_one=False, clip_sample=False)
    unet = diffusers.UNet2DModel.from_pretrained(folder / "unet").eval()
    scheduler.set_timesteps(10)
    x = x_T.clone()
    with torch.no_grad():
        for t in scheduler.timesteps:
            x = scheduler.step(unet(x, t).sample, t, x, eta=0.0).prev_sample
    # the sampler works on channels-last images; compare in [B, C, H, W]
    ours = ours if ours.shape == x.shape else ours.permute(0, 3, 1, 2)
    assert x.abs().max() > 0.5 and (ours - x).abs().max() <= 1e-4


def test_no_ema_exports_the_training_weights(exported, tmp_path, cli):
    ckpt, folder = exported["rgb16"]
    code, out, err = cli("export", ckpt, "--diffusers", "--no-ema", "--out", tmp_path / "raw")
    assert code == 0, err
    from safetensors.torch import load_file

    raw, ema = (load_file(str(f / "unet" / "diffusion_pytorch_model.safetensors")) for f in (tmp_path / "raw", folder))
    assert raw.keys() == ema.keys()
    assert not torch.equal(raw["conv_in.weight"], ema["conv_in.weight"])
    assert torch.equal(raw["conv_in.weight"], sampling_module(ckpt, ema=False).model.diffusion_model.state_dict()[
        "input_blocks.0.0.weight"])


@pytest.mark.parametrize("edit, field", [
    (lambda m: m["unet_config"].update(resblock_updown=True), "model.unet_config.resblock_updown"),
    (lambda m: m["unet_config"].update(conv_resample=False), "model.unet_config.conv_resample"),
    (lambda m: m.update(v_posterior=0.5), "model.v_posterior"),
    (lambda m: m["unet_config"].update(num_heads=2, num_head_channels=-1, attention_resolutions=[1, 2]),
     "model.unet_config.num_heads"),
])
def test_a_model_diffusers_cannot_represent_is_refused_naming_the_field(cli, tmp_path, edit, field):
    run = copy.deepcopy(RGB16)
    edit(run["model"])
    ckpt = random_checkpoint(run, tmp_path / "bad.ckpt")
    code, out, err = cli("export", ckpt, "--diffusers", "--out", tmp_path / "out")
    assert code == 1 and field in err and "Traceback" not in err, err
    assert not (tmp_path / "out").exists()  # checked before anything is written


def test_export_writes_the_documented_folder(exported):
    _, folder = exported["rgb16"]
    index = json.loads((folder / "model_index.json").read_text())
    assert index["unet"] == ["diffusers", "UNet2DModel"] and index["scheduler"] == ["diffusers", "DDPMScheduler"]
    config = json.loads((folder / "unet" / "config.json").read_text())
    assert config["down_block_types"] == ["AttnDownBlock2D", "AttnDownBlock2D"]
    assert (config["attention_head_dim"], config["resnet_time_scale_shift"]) == (16, "default")
