"""``ddpm_kit.inference``: checked loading for sampling, safetensors export, reproducible sampling.

``trained_checkpoints()`` trains two tiny models for 2 optimizer steps (once per test session, shared
with tests/cli/test_sample.py and test_export.py): a label-conditioned v-prediction UNet with EMA on
8x8 images, and an unconditional eps-prediction MLP without EMA on 2-D points.
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from ddpm_kit.checkpoint import CheckpointError
from ddpm_kit.config import ConfigError, validate_source
from ddpm_kit.config.source import Source
from ddpm_kit.generation import generate, label_conditioned, sampler_from
from ddpm_kit.inference import export_safetensors, load_checkpoint, load_for_sampling

NULL_LABEL = 10
IMAGE_RUN: dict[str, Any] = {
    "model": {
        "unet_config": {"name": "unet", "image_size": 8, "in_channels": 1, "out_channels": 1, "model_channels": 32,
                        "num_res_blocks": 1, "attention_resolutions": [], "channel_mult": [1], "num_heads": 1,
                        "use_scale_shift_norm": True,  # GroupNorm32 on 32 channels would remove an additive emb
                        "num_classes": 11},
        "timesteps": 20, "beta_schedule": "cosine", "parameterization": "v", "image_size": 8, "channels": 1,
        "conditioning_key": "adm", "condition_keys": {"labels": "class_label"},
        "ucg_training": {"class_label": {"p": 0.2, "val": NULL_LABEL}},
        "ema": {"name": "lit_ema", "decay": 0.9}, "sampler": {"name": "ddim", "steps": 5},
    },
    "data": {"name": "digits", "batch_size": 8},
    "trainer": {"max_steps": 2, "accelerator": "cpu", "devices": 1},
    "optimizer": {"lr": 1e-2},
    "seed": 3,
}
VECTOR_RUN: dict[str, Any] = {
    "model": {"unet_config": {"name": "mlp", "data_dim": 2, "hidden": 32, "depth": 1}, "timesteps": 20,
              "channels": 2, "first_stage_key": "image", "use_ema": False, "sampler": "ddpm"},
    "data": {"name": "toy2d", "batch_size": 8},
    "trainer": {"max_steps": 2, "accelerator": "cpu", "devices": 1},
    "optimizer": {"lr": 1e-2},
}


@dataclass(frozen=True)
class Checkpoints:
    image: Path  # label-conditioned UNet, v-prediction, cosine schedule, lit_ema
    vector: Path  # unconditional MLP on 2-D points, eps-prediction, no EMA
    folder: Path


def _train(data: dict[str, Any], layout: str, items: list[dict[str, torch.Tensor]], path: Path) -> Path:
    import pytorch_lightning as pl
    from torch.utils.data import DataLoader

    from ddpm_kit.module import DDPM

    report = validate_source(Source(data, "test run"))
    assert report.ok, [i.format() for i in report.errors]
    module = DDPM(run=report.config, input_layout=layout)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Lightning's advice about loggers, workers and validation loops
        trainer = pl.Trainer(max_steps=2, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                             enable_progress_bar=False, enable_model_summary=False)
        trainer.fit(module, DataLoader(items, batch_size=8))
    trainer.save_checkpoint(path)
    return path


@functools.lru_cache(maxsize=1)
def trained_checkpoints() -> Checkpoints:
    folder = Path(tempfile.mkdtemp(prefix="ddpm-kit-inference-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    g = torch.Generator().manual_seed(0)
    images = [{"image": torch.rand(8, 8, 1, generator=g) * 2 - 1, "class_label": i % 10} for i in range(16)]
    points = [{"image": torch.randn(2, generator=g)} for _ in range(16)]
    return Checkpoints(_train(IMAGE_RUN, "channels_last", images, folder / "image.ckpt"),
                       _train(VECTOR_RUN, "vector", points, folder / "vector.ckpt"), folder)


@pytest.fixture(scope="module")
def ckpts() -> Checkpoints:
    return trained_checkpoints()


def edited(source: Path, target: Path, edit) -> Path:
    """A copy of a Lightning checkpoint with ``edit(checkpoint_dict)`` applied."""
    checkpoint = torch.load(source, weights_only=True)
    edit(checkpoint)
    torch.save(checkpoint, target)
    return target


class WritesAFile:
    """A pickle payload: unpickling it would create ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


# ----------------------------------------------------------------------------------------- loading
def test_loads_the_trained_model_with_ema_weights_by_default(ckpts):
    stored = torch.load(ckpts.image, weights_only=True)
    module = load_for_sampling(ckpts.image)
    assert not module.training and module.sampling_weights == "ema" and module.use_ema is False
    assert module.cfg.model_dump(mode="json") == stored["hyper_parameters"]["config"]
    ema = {k.removeprefix("model_ema."): v for k, v in stored["state_dict"].items() if k.startswith("model_ema.")}
    for name, param in module.model.named_parameters():
        assert torch.equal(param, ema[name.replace(".", "")]), name
    raw = load_for_sampling(ckpts.image, ema=False)
    assert raw.sampling_weights == "raw"
    for name, param in raw.model.named_parameters():
        assert torch.equal(param, stored["state_dict"][f"model.{name}"]), name
    assert not torch.equal(raw.model.diffusion_model.out[-1].weight, module.model.diffusion_model.out[-1].weight)


def test_a_model_without_ema_samples_with_its_training_weights_and_refuses_ema(ckpts):
    module = load_for_sampling(ckpts.vector)
    assert module.sampling_weights == "raw"
    with pytest.raises(CheckpointError, match="EMA weights were asked for, but the checkpoint has none"):
        load_for_sampling(ckpts.vector, ema=True)


def test_a_checkpoint_without_a_ddpm_kit_config_is_refused(ckpts, tmp_path):
    plain = edited(ckpts.image, tmp_path / "plain.ckpt", lambda c: c.pop("hyper_parameters"))
    with pytest.raises(CheckpointError, match="holds no ddpm-kit config"):
        load_for_sampling(plain)
    bare = tmp_path / "weights.safetensors"
    save_file({"x": torch.zeros(2)}, str(bare))
    with pytest.raises(CheckpointError, match="pass the export folder"):
        load_for_sampling(bare)


def test_a_stored_config_that_no_longer_validates_names_its_problems(ckpts, tmp_path):
    def edit(c):
        for model in (c["hyper_parameters"]["config"], c["hyper_parameters"]["run"]["model"]):
            model["paramterization"] = "v"
            model["timesteps"] = 1

    path = edited(ckpts.image, tmp_path / "old.ckpt", edit)
    with pytest.raises(CheckpointError, match="no longer validates") as info:
        load_for_sampling(path)
    assert "model.paramterization: unknown key" in str(info.value) and "model.timesteps" in str(info.value)


def test_an_edited_parameterization_is_refused_naming_both_values(ckpts, tmp_path):
    path = edited(ckpts.image, tmp_path / "x0.ckpt",
                  lambda c: c["hyper_parameters"]["config"].update(parameterization="x0"))
    with pytest.raises(CheckpointError, match='parameterization: config "x0", run "v"'):
        load_for_sampling(path)


def test_weights_trained_with_another_schedule_are_refused(ckpts, tmp_path):
    path = edited(ckpts.image, tmp_path / "betas.ckpt", lambda c: c["state_dict"]["betas"].mul_(1.01))
    with pytest.raises(CheckpointError, match="another noise schedule") as info:
        load_for_sampling(path)
    assert "betas" in str(info.value) and "'cosine'" in str(info.value)

    def to_linear(c):
        for model in (c["hyper_parameters"]["config"], c["hyper_parameters"]["run"]["model"]):
            model["beta_schedule"] = "linear"

    path = edited(ckpts.image, tmp_path / "linear.ckpt", to_linear)
    with pytest.raises(CheckpointError) as info:
        load_for_sampling(path)
    message = str(info.value)
    assert "as beta_schedule 'cosine' with default parameters" in message  # what the weights were trained with
    assert "config beta_schedule 'linear'" in message  # what the config says


def test_state_dict_keys_are_checked_strictly(ckpts, tmp_path):
    def drop(c):
        del c["state_dict"]["model.diffusion_model.out.2.bias"]
        c["state_dict"]["model.extra.weight"] = torch.zeros(1)

    path = edited(ckpts.image, tmp_path / "keys.ckpt", drop)
    with pytest.raises(CheckpointError, match="1 missing keys .model.diffusion_model.out.2.bias.; 1 unexpected keys"):
        load_for_sampling(path)


def test_init_only_settings_do_not_block_loading(ckpts, tmp_path):
    def init_from_elsewhere(c):
        for model in (c["hyper_parameters"]["config"], c["hyper_parameters"]["run"]["model"]):
            model.update(ckpt_path="/nowhere/init.ckpt", ignore_keys=["model_ema."])

    path = edited(ckpts.image, tmp_path / "init.ckpt", init_from_elsewhere)
    assert load_for_sampling(path).cfg.ckpt_path is None


def test_expectations_are_checked_against_the_checkpoint(ckpts):
    load_for_sampling(ckpts.image, expect={"parameterization": "v", "beta_schedule": "cosine", "timesteps": 20})
    with pytest.raises(CheckpointError, match='parameterization: checkpoint "v", expected "x0"'):
        load_for_sampling(ckpts.image, expect={"parameterization": "x0"})
    with pytest.raises(CheckpointError, match='beta_schedule: checkpoint "cosine", expected "linear"'):
        load_for_sampling(ckpts.image, expect={"beta_schedule": {"name": "linear"}})
    with pytest.raises(CheckpointError, match="unet_config.model_channels: checkpoint 32, expected 64"):
        load_for_sampling(ckpts.image, expect={"unet_config.model_channels": 64})
    with pytest.raises(ConfigError, match="model.parameterization"):
        load_for_sampling(ckpts.image, expect={"parameterization": "score"})


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", "truncated"])
def test_corrupt_files_are_refused(ckpts, tmp_path, content):
    path = tmp_path / "bad.ckpt"
    path.write_bytes(ckpts.image.read_bytes()[:4096] if content == "truncated" else content)
    with pytest.raises(CheckpointError, match="corrupt or truncated|refused"):
        load_for_sampling(path)


def test_a_malicious_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": WritesAFile(marker)}, path)
    with pytest.raises(CheckpointError, match="refused"):
        load_for_sampling(path)
    assert not marker.exists()


# ----------------------------------------------------------------------------------------- sampling
def test_samples_are_reproducible_and_do_not_depend_on_the_batch_split(ckpts):
    module = load_for_sampling(ckpts.image)
    a, labels_a = generate(module, 8, seed=5, batch_size=8)
    b, labels_b = generate(module, 8, seed=5, batch_size=8)
    c, labels_c = generate(module, 8, seed=5, batch_size=3)
    assert a.shape == (8, 1, 8, 8) and torch.equal(a, b)
    assert torch.equal(labels_a, labels_c)
    # bitwise equal noise; the network's float32 GEMMs round the last bit differently at other batch sizes
    assert torch.allclose(a, c, rtol=0, atol=1e-5)
    assert not torch.allclose(a, generate(module, 8, seed=6)[0], atol=1e-2)


def test_the_noise_is_drawn_for_all_samples_whatever_the_network_batch(ckpts, monkeypatch):
    module = load_for_sampling(ckpts.vector)
    seen: list[int] = []

    def per_sample_network(x, t, cond=None):  # exactly per-sample: any batch split gives identical outputs
        seen.append(x.shape[0])
        return torch.tanh(x) * (t[:, None].float() + 1) / 20

    monkeypatch.setattr(module, "apply_model", per_sample_network)
    ddim = sampler_from(module, "ddim", steps=4, eta=1.0)
    whole, _ = generate(module, 8, sampler=ddim, seed=1, batch_size=8)
    split, _ = generate(module, 8, sampler=ddim, seed=1, batch_size=3)
    assert torch.equal(whole, split)
    assert seen[:4] == [8] * 4 and seen[4:7] == [3, 3, 2]
    first_five, _ = generate(module, 5, sampler=ddim, seed=1)
    assert torch.equal(first_five, whole[:5])  # per-sample noise streams: --n 5 is a prefix of --n 8


def test_a_smaller_n_gives_the_first_samples_of_a_larger_n(ckpts):
    module = load_for_sampling(ckpts.image)
    many, labels_many = generate(module, 12, seed=3)
    few, labels_few = generate(module, 5, seed=3)
    assert torch.equal(labels_few, labels_many[:5])
    assert torch.allclose(few, many[:5], rtol=0, atol=1e-5)


def test_ema_and_training_weights_give_different_samples(ckpts):
    ema, _ = generate(load_for_sampling(ckpts.image), 4, seed=0)
    raw, _ = generate(load_for_sampling(ckpts.image, ema=False), 4, seed=0)
    assert not torch.allclose(ema, raw, atol=1e-4)


def test_labels_are_drawn_without_the_null_label_or_taken_as_given(ckpts):
    module = load_for_sampling(ckpts.image)
    assert label_conditioned(module) and not label_conditioned(load_for_sampling(ckpts.vector))
    _, labels = generate(module, 64, seed=2, batch_size=64)
    assert labels.shape == (64,) and 0 <= labels.min() and labels.max() < NULL_LABEL
    sevens = torch.full((4,), 7)
    guided, labels = generate(module, 4, seed=2, labels=sevens, guidance_scale=3.0)
    assert torch.equal(labels, sevens)
    assert not torch.allclose(guided, generate(module, 4, seed=2, labels=sevens, guidance_scale=1.0)[0], atol=1e-4)


def test_sampler_overrides_are_validated(ckpts):
    module = load_for_sampling(ckpts.image)
    assert sampler_from(module, steps=4).model_dump() == {"name": "ddim", "steps": 4, "eta": 0.0, "spacing": "uniform"}
    assert sampler_from(module, "dpmpp_2m", steps=3).steps == 3
    with pytest.raises(ConfigError, match="sampler.eta: unknown key"):
        sampler_from(module, "dpmpp_2m", eta=0.5)
    with pytest.raises(ConfigError, match="exceeds T=20"):
        sampler_from(module, "ddim", steps=50)


# ----------------------------------------------------------------------------------------- export
def test_export_round_trips_to_identical_samples(ckpts, tmp_path):
    written = export_safetensors(ckpts.image, tmp_path / "export")
    assert [p.name for p in written] == ["weights.safetensors", "weights_ema.safetensors", "config.json"]
    raw, ema = (load_file(str(tmp_path / "export" / f)) for f in ("weights.safetensors", "weights_ema.safetensors"))
    assert raw.keys() == ema.keys() and "model.diffusion_model.out.2.weight" in raw and "betas" in raw
    assert not any(k.startswith("model_ema") for k in raw)
    with safe_open(str(tmp_path / "export" / "weights_ema.safetensors"), "pt") as handle:
        assert handle.metadata()["ddpm_kit"].startswith("EMA weights")
    meta = json.loads((tmp_path / "export" / "config.json").read_text())
    assert meta["ddpm_kit_version"] and meta["weights"] == {"raw": "weights.safetensors",
                                                            "ema": ["weights_ema.safetensors"]}
    assert meta["hyper_parameters"]["config"]["parameterization"] == "v"
    for ema_weights in (True, False):
        original = load_for_sampling(ckpts.image, ema=ema_weights)
        exported = load_for_sampling(tmp_path / "export", ema=ema_weights)
        assert exported.cfg == original.cfg
        assert torch.equal(generate(original, 4, seed=9)[0], generate(exported, 4, seed=9)[0])


def test_export_of_a_model_without_ema_and_damaged_exports(ckpts, tmp_path):
    folder = tmp_path / "vector"
    assert [p.name for p in export_safetensors(ckpts.vector, folder)] == ["weights.safetensors", "config.json"]
    assert load_checkpoint(folder).has_ema is False
    meta = json.loads((folder / "config.json").read_text())
    meta["weights"]["raw"] = "../elsewhere.safetensors"
    (folder / "config.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="inside the folder"):
        load_for_sampling(folder)
    (folder / "config.json").write_text("{")
    with pytest.raises(CheckpointError, match="unreadable"):
        load_for_sampling(folder)
    with pytest.raises(CheckpointError, match="no config.json"):
        load_for_sampling(tmp_path)
