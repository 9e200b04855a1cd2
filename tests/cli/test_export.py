"""``ddpm-kit export --safetensors``: files, round trip through ``ddpm-kit sample``, refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.torch import load_file

from tests.test_inference import trained_checkpoints


@pytest.fixture(scope="module")
def ckpts():
    return trained_checkpoints()


def test_export_then_sample_the_folder_gives_the_checkpoints_samples(cli, ckpts, tmp_path):
    folder = tmp_path / "export"
    code, out, err = cli("export", ckpts.image, "--safetensors", "--out", folder)
    assert code == 0, err
    assert f"-> {folder}" in out and "weights_ema.safetensors" in out
    ema = load_file(str(folder / "weights_ema.safetensors"))
    assert ema.keys() == load_file(str(folder / "weights.safetensors")).keys()
    assert json.loads((folder / "config.json").read_text())["files"].keys() == {"weights.safetensors",
                                                                               "weights_ema.safetensors"}
    for source, name in ((ckpts.image, "ckpt"), (folder, "folder")):
        code, _, err = cli("sample", source, "--n", "4", "--seed", "3", "--out", tmp_path / f"{name}.png",
                           "--npz", tmp_path / f"{name}.npz")
        assert code == 0, err
    assert np.array_equal(np.load(tmp_path / "ckpt.npz")["samples"], np.load(tmp_path / "folder.npz")["samples"])


def test_default_folder_overwrite_and_usage_errors(cli, ckpts, tmp_path):
    ckpt = tmp_path / "model.ckpt"
    ckpt.write_bytes(ckpts.vector.read_bytes())
    code, out, err = cli("export", ckpt, "--safetensors")
    assert code == 0, err
    assert (tmp_path / "model_safetensors" / "weights.safetensors").is_file()
    assert not (tmp_path / "model_safetensors" / "weights_ema.safetensors").exists()  # the model has no EMA
    code, _, err = cli("export", ckpt, "--safetensors")
    assert code == 1 and "already holds an export" in err and "--force" in err
    code, _, err = cli("export", ckpt, "--safetensors", "--force")
    assert code == 0, err
    code, _, err = cli("export", ckpt)
    assert code == 1 and "--safetensors" in err
    code, _, err = cli("export", tmp_path / "missing.ckpt", "--safetensors")
    assert code == 2 and "no such checkpoint" in err
    code, _, err = cli("export", ckpt, "--safetensors", "--out", tmp_path / "x", "--set", "model.timesteps=1000")
    assert code == 1 and "timesteps: checkpoint 20, expected 1000" in err and "Traceback" not in err
