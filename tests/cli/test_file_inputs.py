"""Hostile files and arguments: FIFOs, devices, lying headers, NaN weights, unwritable outputs: exit 1 or 2, the
file or option named, no traceback, nothing already there changed."""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest
import torch
import yaml

from tests.cli.test_run_folders import TOY
from tests.conftest import BASE_CONFIG


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from ddpm_kit.config import validate_file
    from ddpm_kit.training.run import train

    folder = tmp_path_factory.mktemp("toy")
    path = folder / "toy.yaml"
    path.write_text(yaml.safe_dump(TOY))
    report = validate_file(path, [])
    train(report.config, folder / "run")
    return folder / "run" / "checkpoints" / "last.ckpt"


def _clean(code, out, err, expected, *words):
    assert code == expected, (code, out[-300:], err[-800:])
    assert "Traceback" not in out + err and "error: unexpected " not in err
    for word in words:
        assert word in err, err


@pytest.mark.parametrize("command", ["validate", "train"])
def test_fifo_config_does_not_hang(tmp_path, cli, command):
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)
    _clean(*cli(command, fifo, "--out", tmp_path / "run") if command == "train" else cli(command, fifo), 2,
           str(fifo), "FIFO")
    assert not (tmp_path / "run").exists()


def test_device_config_is_refused(cli):
    _clean(*cli("validate", "/dev/zero"), 2, "/dev/zero", "device")


def test_fifo_checkpoint_is_refused(tmp_path, cli):
    fifo = tmp_path / "model.ckpt"
    os.mkfifo(fifo)
    code, out, err = cli("sample", fifo, "--out", tmp_path / "s.png")
    _clean(code, out, err, code if code in (1, 2) else -1, str(fifo), "FIFO")


def test_npz_header_claiming_terabytes(tmp_path, cli, write_config):
    import io
    import zipfile

    path = tmp_path / "data.npz"
    member = io.BytesIO()
    np.lib.format.write_array_header_1_0(member, {"descr": "<f4", "fortran_order": False,
                                                   "shape": (2**40, 2)})  # 8 TiB claimed, 64 bytes held
    member.write(np.zeros(16, dtype=np.float32).tobytes())
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", member.getvalue())
    config = {**TOY, "data": {"name": "npz", "path": str(path), "key": "x", "batch_size": 2, "value_range": [-1, 1]}}
    out = tmp_path / "run"
    _clean(*cli("train", write_config(config), "--out", out), 1, "data.npz", "header claims")
    assert not out.exists()


def test_sample_guidance_must_be_finite(trained, tmp_path, cli):
    for value in ("nan", "inf"):
        _clean(*cli("sample", trained, "--guidance", value, "--out", tmp_path / "s.png"), 1, "--guidance",
               "finite")
    assert not (tmp_path / "s.png").exists()


def test_nan_weights_do_not_write_samples(trained, tmp_path, cli):
    ckpt = torch.load(trained, weights_only=True)
    for key, value in ckpt["state_dict"].items():
        if key.startswith("model.") and value.is_floating_point():
            value.fill_(float("nan"))
    broken = tmp_path / "nan.ckpt"
    torch.save(ckpt, broken)
    _clean(*cli("sample", broken, "--no-ema", "--out", tmp_path / "s.png"), 1, str(broken), "non-finite",
           "first non-finite at evaluation 1 of")
    assert not (tmp_path / "s.png").exists()


def test_sample_meta_device_and_huge_n(trained, tmp_path, cli):
    _clean(*cli("sample", trained, "--device", "meta", "--out", tmp_path / "s.png"), 1, "--device meta")
    _clean(*cli("sample", trained, "--n", "100000", "--out", tmp_path / "s.png"), 1, "--n 100000",
           "--batch-size")


def _relabel(path, old: bytes, new: bytes):
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = raw[8:8 + size].replace(old, new)
    path.write_bytes(raw[:8] + header + raw[8 + size:])


def test_export_relabelled_dtype_and_deep_config(trained, tmp_path, cli):
    export = tmp_path / "export"
    code, _, err = cli("export", trained, "--safetensors", "--out", export)
    assert code == 0, err[-500:]
    _relabel(export / "weights.safetensors", b'"F32"', b'"I32"')
    _clean(*cli("sample", export, "--no-ema", "--out", tmp_path / "s.png"), 1, "dtype")
    (export / "config.json").write_text("[" * 100000 + "]" * 100000)
    _clean(*cli("sample", export, "--out", tmp_path / "s.png"), 1, "config.json", "nested too deeply")


def test_resume_from_a_broken_checkpoint(trained, tmp_path, cli, write_config):
    out = tmp_path / "run"
    (out / "checkpoints").mkdir(parents=True)
    more = {**TOY, "trainer": {**TOY["trainer"], "max_steps": 5}}
    (out / "config.yaml").write_text(yaml.safe_dump(json.loads(json.dumps(
        yaml.safe_load((trained.parents[1] / "config.yaml").read_text())))))
    ckpt = torch.load(trained, weights_only=True)
    ckpt["global_step"] = "2"
    torch.save(ckpt, out / "checkpoints" / "last.ckpt")
    config = write_config(more)
    _clean(*cli("train", config, "--out", out), 1, "global_step", "'2'")
    ckpt["global_step"] = 2
    del ckpt["optimizer_states"]
    torch.save(ckpt, out / "checkpoints" / "last.ckpt")
    _clean(*cli("train", config, "--out", out), 1, "optimizer state")


def test_outputs_to_folders_and_unwritable_paths(tmp_path, cli):
    _clean(*cli("schema", "-o", tmp_path), 1, "is a folder")
    _clean(*cli("schedule", "plot", "cosine", "-o", tmp_path), 1, "is a folder")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        _clean(*cli("schema", "-o", locked / "s.json"), 1, "s.json")
        _clean(*cli("schedule", "plot", "cosine", "-o", locked / "s.png"), 1, "not writable")
    finally:
        locked.chmod(0o700)


def test_truncated_image_in_a_worker_is_one_paragraph(tmp_path, cli, write_config):
    from PIL import Image

    root = tmp_path / "images" / "a"
    root.mkdir(parents=True)
    for i in range(8):
        Image.new("L", (8, 8), color=i * 20).save(root / f"{i}.png")
    raw = (root / "7.png").read_bytes()
    (root / "7.png").write_bytes(raw[: len(raw) // 2])  # the header still opens; the pixels are cut off
    config = {
        "model": {**BASE_CONFIG["model"], "timesteps": 20},
        "data": {"name": "image_folder", "path": str(tmp_path / "images"), "image_size": 8, "channels": 1,
                 "batch_size": 8, "num_workers": 1},
        "trainer": {"max_steps": 2, "accelerator": "cpu", "devices": 1},
        "output": {"image_every_n_steps": 0, "num_samples": 4},
    }
    code, out, err = cli("train", write_config(config), "--out", tmp_path / "run")
    _clean(code, out, err, 1, "7.png")
    assert "Original Traceback" not in err and 'File "' not in err


def test_checkpoint_whose_config_asks_for_an_impossible_network(trained, tmp_path, cli):
    import time

    ckpt = torch.load(trained, weights_only=True)
    hparams = ckpt["hyper_parameters"]
    for model in (hparams["config"], hparams["run"]["model"]):
        model["unet_config"]["hidden"] = 10**8  # 1e16 weights per layer if it were ever built
    broken = tmp_path / "huge.ckpt"
    torch.save(ckpt, broken)
    start = time.perf_counter()
    _clean(*cli("sample", broken, "--out", tmp_path / "s.png"), 1, str(broken), "unet_config")
    assert time.perf_counter() - start < 20
    assert not (tmp_path / "s.png").exists()
