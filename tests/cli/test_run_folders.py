"""train --out never overwrites another run, a config or a running training: exit 1, files byte-identical."""

from __future__ import annotations

import json
import os
import socket

import pytest


TOY = {
    "model": {"unet_config": {"name": "mlp", "data_dim": 2, "hidden": 16, "depth": 1}, "channels": 2,
              "image_size": 1, "timesteps": 20, "parameterization": "v", "clip_denoised": False,
              "sampler": {"name": "ddim", "steps": 2}},
    "data": {"name": "toy2d", "n_samples": 256, "batch_size": 32},
    "trainer": {"max_steps": 2, "accelerator": "cpu", "devices": 1},
    "optimizer": {"lr": 1e-3},
    "output": {"image_every_n_steps": 0, "num_samples": 16, "checkpoint_every_n_steps": 1},
}


def _snapshot(folder):
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _assert_refused(cli, args, folder, *words):
    before = _snapshot(folder)
    code, out, err = cli(*args)
    assert code == 1, (code, out[-300:], err[-500:])
    assert "Traceback" not in out + err and "error: unexpected " not in err
    for word in words:
        assert word in err, err
    assert _snapshot(folder) == before
    return err


def test_folder_with_files_but_no_checkpoint_is_refused(tmp_path, cli, write_config):
    out = tmp_path / "run"
    (out / "images").mkdir(parents=True)
    (out / "config.yaml").write_text("earlier: run\n")
    (out / "images" / "step000010.png").write_bytes(b"\x89PNG earlier")
    err = _assert_refused(cli, ("train", write_config(TOY), "--out", out), out, str(out), "--force", "config.yaml")
    assert "no checkpoints/last.ckpt" in err


def test_config_inside_its_own_out_is_refused(tmp_path, cli):
    out = tmp_path / "run"
    out.mkdir()
    config = out / "config.yaml"
    config.write_text(json.dumps(TOY))
    _assert_refused(cli, ("train", config, "--out", out), out, str(config), "itself")


def test_bad_data_path_writes_nothing(tmp_path, cli, write_config):
    out = tmp_path / "run"
    config = {**TOY, "data": {"name": "npz", "path": str(tmp_path / "missing.npz"), "batch_size": 4,
                                  "value_range": [-1, 1]}}
    code, out_text, err = cli("train", write_config(config), "--out", out)
    assert code == 1 and "missing.npz" in err and "Traceback" not in out_text + err
    assert not out.exists()


def test_other_config_in_a_run_is_refused_then_force_and_resume(tmp_path, cli, write_config):
    out = tmp_path / "run"
    code, _, err = cli("train", write_config(TOY), "--out", out)
    assert code == 0, err[-500:]
    assert not (out / ".ddpm-kit.lock").exists()
    other = {**TOY, "seed": 7, "optimizer": {"lr": 5e-4}}
    _assert_refused(cli, ("train", write_config(other, "other.yaml"), "--out", out), out, "seed", "optimizer.lr",
                    "--force")
    # the same config, fewer steps than the checkpoint: an error, nothing written
    fewer = {**TOY, "trainer": {**TOY["trainer"], "max_steps": 1}}
    _assert_refused(cli, ("train", write_config(fewer, "fewer.yaml"), "--out", out), out, "already at step 2",
                    "trainer.max_steps 1")
    more = {**TOY, "trainer": {**TOY["trainer"], "max_steps": 3}}
    code, text, err = cli("train", write_config(more, "more.yaml"), "--out", out)
    assert code == 0 and "trained to step 3" in text and "resumed from" in text, err[-500:]
    code, text, err = cli("train", write_config(other, "other.yaml"), "--out", out, "--force")
    assert code == 0 and "trained to step 2" in text and "resumed" not in text, err[-500:]


def test_running_training_holds_the_lock(tmp_path, cli, write_config):
    out = tmp_path / "run"
    out.mkdir()
    (out / ".ddpm-kit.lock").write_text(json.dumps({"pid": os.getppid(), "host": socket.gethostname()}))
    _assert_refused(cli, ("train", write_config(TOY), "--out", out), out, "another training", str(os.getppid()))


def test_stale_lock_is_replaced(tmp_path, cli, write_config, caplog):
    out = tmp_path / "run"
    out.mkdir()
    (out / ".ddpm-kit.lock").write_text(json.dumps({"pid": 2**22 + 12345, "host": socket.gethostname()}))
    code, text, err = cli("train", write_config(TOY), "--out", out)
    assert code == 0, err[-500:]
    assert not (out / ".ddpm-kit.lock").exists()


@pytest.mark.parametrize("name", ["weights.safetensors", "weights_ema.safetensors"])
def test_export_refuses_existing_weight_files(tmp_path, cli, write_config, name):
    out = tmp_path / "run"
    assert cli("train", write_config(TOY), "--out", out)[0] == 0
    target = tmp_path / "export"
    target.mkdir()
    (target / name).write_bytes(b"earlier weights")
    _assert_refused(cli, ("export", out / "checkpoints" / "last.ckpt", "--safetensors", "--out", target), target,
                    name, "--force")


