"""End-to-end training: toy data lands on the data, a digits run writes everything, resume is exact."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from ddpm_kit.config.source import Source
from ddpm_kit.config import validate_source
from ddpm_kit.training.run import RunDirError, train

TINY_UNET = {"name": "unet", "image_size": 8, "in_channels": 1, "out_channels": 1, "model_channels": 32,
             "num_res_blocks": 1, "attention_resolutions": [], "channel_mult": [1, 2], "num_heads": 1}


def run_config(data: dict):
    report = validate_source(Source(data, "test"))
    assert report.ok, [i.format() for i in report.issues]
    return report.config


#: every built-in augmentation, edm_augment with its 9 labels (the UNet then needs augment_dim: 9)
AUGMENT = [{"name": "hflip", "p": 0.5}, {"name": "random_resized_crop", "scale": [0.6, 1.0]},
           {"name": "edm_augment", "p": 0.5}]


def digits_config(max_steps: int = 4, augment: list | None = None, **model) -> dict:
    """A tiny digits run; with ``augment`` the data is augmented (and the UNet takes edm_augment's labels)."""
    unet = dict(TINY_UNET, augment_dim=9) if augment else dict(TINY_UNET)
    return {
        "model": {"unet_config": unet, "image_size": 8, "channels": 1, "timesteps": 100,
                  "beta_schedule": "iddpm_linear", "parameterization": "v", "monitor": "val/loss_simple_ema",
                  "ema": {"name": "lit_ema", "decay": 0.99}, "sampler": {"name": "ddim", "steps": 5}, **model},
        "data": {"name": "digits", "batch_size": 16, "val_fraction": 0.02, "augment": list(augment or [])},
        "trainer": {"max_steps": max_steps, "accelerator": "cpu", "devices": 1, "enable_progress_bar": False,
                    "val_check_interval": 2, "limit_val_batches": 1, "deterministic": True, "log_every_n_steps": 1},
        "optimizer": {"lr": 1e-3},
        "output": {"image_every_n_steps": 2, "checkpoint_every_n_steps": 2, "num_samples": 4},
        "seed": 7,
    }


def test_toy2d_samples_land_on_the_data(tmp_path):
    from ddpm_kit.module_parts.sampling import sample

    config = run_config({
        "model": {"unet_config": {"name": "mlp", "data_dim": 2, "hidden": 128, "depth": 3}, "channels": 2,
                  "image_size": 1, "timesteps": 100, "beta_schedule": "iddpm_linear", "clip_denoised": False,
                  "parameterization": "v", "monitor": "train/loss", "ema": {"name": "lit_ema", "decay": 0.99},
                  "sampler": {"name": "ddim", "steps": 25}},
        "data": {"name": "toy2d", "dataset": "moons", "n_samples": 4000, "batch_size": 256, "val_fraction": 0},
        "trainer": {"max_steps": 400, "accelerator": "cpu", "devices": 1, "enable_progress_bar": False},
        "optimizer": {"lr": 3e-3},
        "output": {"image_every_n_steps": 0, "num_samples": 256},
    })
    result = train(config, tmp_path / "run")
    assert result.global_step == 400
    from ddpm_kit.module import DDPM

    from ddpm_kit.registry import SAMPLERS

    module = DDPM.load_from_checkpoint(result.last_checkpoint, map_location="cpu").eval()
    data = config.data.load_impl()(config.data).train.tensors["image"][:2000].numpy()

    def mean_nearest(points):
        distances = ((points[:, None, :] - data[None, :, :]) ** 2).sum(-1)
        return float(np.sqrt(distances.min(axis=1)).mean())

    baseline = mean_nearest(torch.randn(500, 2, generator=torch.Generator().manual_seed(1)).numpy())
    for name, params in (("ddpm", {}), ("ddim", {"steps": 25}), ("dpmpp_2m", {"steps": 20})):
        spec = SAMPLERS.get(name).model_validate({"name": name, **params})
        samples, _ = sample(module, 500, sampler=spec.load_impl()(spec), generator=torch.Generator().manual_seed(0))
        assert mean_nearest(samples.numpy()) < 0.15 < baseline, (name, mean_nearest(samples.numpy()), baseline)


def test_digits_run_writes_checkpoints_grids_and_logs(tmp_path):
    out = tmp_path / "digits"
    result = train(run_config(digits_config(max_steps=4)), out)
    assert result.global_step == 4
    assert (out / "checkpoints" / "last.ckpt").is_file() and result.best_checkpoint is not None
    assert (out / "config.yaml").is_file() and (out / "logs" / "metrics.csv").is_file()
    assert result.loss_curve is not None and result.loss_curve.is_file()
    names = {p.name for p in (out / "images").glob("*.png")}
    assert {"step000002_samples.png", "step000004_samples.png", "step000004_diffusion_row.png",
            "step000004_denoise_row.png", "step000004_inputs.png"} <= names
    header = (out / "logs" / "metrics.csv").read_text().splitlines()[0]
    for column in ("train/loss_simple_step", "train/loss_vlb_step", "val/loss_simple", "val/loss_simple_ema"):
        assert column in header


def _weights(path):
    return torch.load(path, map_location="cpu", weights_only=True)


@pytest.mark.parametrize("augment", [None, AUGMENT], ids=["plain", "augmented"])
def test_resume_continues_at_the_same_step_with_identical_state(tmp_path, augment):
    full = train(run_config(digits_config(max_steps=6, augment=augment)), tmp_path / "full")
    interrupted_dir = tmp_path / "resumed"
    train(run_config(digits_config(max_steps=4, augment=augment)), interrupted_dir)
    resumed = train(run_config(digits_config(max_steps=6, augment=augment)), interrupted_dir, resume=True)
    assert resumed.resumed_from is not None and resumed.global_step == 6
    a, b = _weights(full.last_checkpoint), _weights(resumed.last_checkpoint)
    assert a["global_step"] == b["global_step"] == 6
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), key  # weights, EMA shadows and counters
    for state_a, state_b in zip(a["optimizer_states"][0]["state"].values(), b["optimizer_states"][0]["state"].values()):
        assert torch.equal(state_a["exp_avg"], state_b["exp_avg"])
    # the log of the interrupted run is continued, not replaced: it reads as the uninterrupted run's
    from ddpm_kit.training.callbacks import read_metrics

    full_log, resumed_log = read_metrics(full.metrics_csv), read_metrics(resumed.metrics_csv)
    assert resumed_log["train/loss_step"] == full_log["train/loss_step"]
    assert resumed_log["train/loss_step"][0] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_resume_drops_rows_the_resumed_run_repeats(tmp_path):
    """Rows logged after the last checkpoint (before a kill) are logged again by the resumed run, once."""
    from ddpm_kit.training.callbacks import read_metrics

    out = tmp_path / "run"
    train(run_config(digits_config(max_steps=4)), out)
    log = out / "logs" / "metrics.csv"
    header, *rows = log.read_text().splitlines()
    step_column, loss_column = (header.split(",").index(name) for name in ("step", "train/loss_step"))
    stale = next(row.split(",") for row in reversed(rows) if row.split(",")[loss_column])
    stale[step_column] = "7"  # as if steps up to 7 had been logged before a kill after the step-4 checkpoint
    log.write_text("\n".join([header, *rows, ",".join(stale)]) + "\n")
    resumed = train(run_config(digits_config(max_steps=6)), out, resume=True)
    steps = read_metrics(resumed.metrics_csv)["train/loss_step"][0]
    assert steps == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert not (out / "logs" / "metrics.csv.before-resume").exists()


def test_resume_refuses_another_model(tmp_path):
    out = tmp_path / "run"
    train(run_config(digits_config(max_steps=2)), out)
    with pytest.raises(RunDirError, match="parameterization"):
        train(run_config(digits_config(max_steps=4, parameterization="eps")), out)


def test_unwritable_output_fails_before_training(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(RunDirError, match="not usable"):
        train(run_config(digits_config()), blocker / "run")


def test_nonfinite_loss_stops_naming_step_and_checkpoint(tmp_path, monkeypatch):
    from ddpm_kit.module import DDPM
    from ddpm_kit.training.run import TrainingStopped

    original = DDPM.losses

    def explode_at_step_3(self, *args, **kwargs):
        terms = original(self, *args, **kwargs)
        return dataclasses.replace(terms, loss=terms.loss * float("nan")) if self.global_step == 3 else terms

    monkeypatch.setattr(DDPM, "losses", explode_at_step_3)
    with pytest.raises(TrainingStopped, match=r"non-finite loss at step 3 .*last good checkpoint is .*last.ckpt"):
        train(run_config(digits_config(max_steps=6)), tmp_path / "run")
    assert torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 2
    skipped = run_config({**digits_config(max_steps=6), "on_nonfinite_loss": "skip"})
    result = train(skipped, tmp_path / "skip")
    assert result.global_step == 6  # the bad step changed nothing, the run went on
    state = torch.load(result.last_checkpoint, weights_only=True)["state_dict"]
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())


def test_timestep_bucket_losses_are_logged(tmp_path):
    result = train(run_config(digits_config(max_steps=4)), tmp_path / "run")
    header = result.metrics_csv.read_text().splitlines()[0]
    assert "train/loss_simple_q0" in header and "train/loss_simple_q3" in header


def test_same_seed_same_loss_curve_and_samples(tmp_path):
    from ddpm_kit.module import DDPM
    from ddpm_kit.module_parts.sampling import sample
    from ddpm_kit.training.callbacks import read_metrics

    runs = [train(run_config(digits_config(max_steps=4)), tmp_path / name) for name in ("a", "b")]
    curves = [read_metrics(r.metrics_csv)["train/loss_step"] for r in runs]
    assert curves[0] == curves[1] and len(curves[0][1]) == 4
    samples = []
    for r in runs:
        module = DDPM.load_from_checkpoint(r.last_checkpoint, map_location="cpu").eval()
        samples.append(sample(module, 4, generator=torch.Generator().manual_seed(5))[0])
    assert torch.equal(samples[0], samples[1])
    other = train(run_config({**digits_config(max_steps=4), "seed": 8}), tmp_path / "c")
    assert read_metrics(other.metrics_csv)["train/loss_step"] != curves[0]


def test_full_disk_fails_before_training(tmp_path, monkeypatch):
    import errno
    from pathlib import Path

    def no_space(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", no_space)
    with pytest.raises(RunDirError, match="No space left on device"):
        train(run_config(digits_config()), tmp_path / "run")
    assert not (tmp_path / "run" / "checkpoints").exists()
