"""Faults: a SIGKILLed run resumes to exactly the weights of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import torch
import yaml

from tests.conftest import subprocess_env
from tests.training.test_train import AUGMENT, digits_config


def _command(config_path, out, *extra):
    return [sys.executable, "-m", "ddpm_kit.cli", "train", str(config_path), "--out", str(out), *extra]


def _env():
    return subprocess_env(OMP_NUM_THREADS="1")


def _step(checkpoint):
    try:
        return torch.load(checkpoint, map_location="cpu", weights_only=True)["global_step"]
    except Exception:  # being replaced right now: try again
        return -1


@pytest.mark.parametrize("augment", [None, AUGMENT], ids=["plain", "augmented"])
def test_sigkill_then_resume_matches_an_uninterrupted_run(tmp_path, augment):
    config = digits_config(max_steps=12, augment=augment)
    config["output"].update(checkpoint_every_n_steps=2, image_every_n_steps=0)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))

    full = subprocess.run(_command(path, tmp_path / "full"), capture_output=True, text=True, env=_env(), timeout=300)
    assert full.returncode == 0, full.stderr[-2000:]

    killed_dir = tmp_path / "killed"
    process = subprocess.Popen(_command(path, killed_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=_env())
    last = killed_dir / "checkpoints" / "last.ckpt"
    deadline = time.time() + 240
    while time.time() < deadline and process.poll() is None:
        if last.exists() and _step(last) >= 4:
            break
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    interrupted_at = _step(last)
    assert 4 <= interrupted_at < 12, interrupted_at  # killed mid-run, and last.ckpt is readable

    resumed = subprocess.run(_command(path, killed_dir, "--resume"), capture_output=True, text=True, env=_env(),
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resumed from" in resumed.stdout
    a = torch.load(tmp_path / "full" / "checkpoints" / "last.ckpt", weights_only=True)
    b = torch.load(last, weights_only=True)
    assert a["global_step"] == b["global_step"] == 12
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), key


def test_a_save_interrupted_mid_write_leaves_the_previous_last_ckpt(tmp_path, monkeypatch):
    """Checkpoints are written to a temporary file and renamed: a crash while writing keeps the old file."""
    import fsspec.implementations.local as local
    import pytest

    from ddpm_kit.config import validate_source
    from ddpm_kit.config.source import Source
    from ddpm_kit.training.run import train

    config = digits_config(max_steps=2)
    run = validate_source(Source(config, "t")).raise_for_errors()
    result = train(run, tmp_path / "run")
    before = result.last_checkpoint.read_bytes()
    original_write = local.LocalFileOpener.write

    def crash_half_way(self, data):
        original_write(self, data[: len(data) // 2])
        raise OSError("simulated crash while writing a checkpoint")

    monkeypatch.setattr(local.LocalFileOpener, "write", crash_half_way)
    longer = validate_source(Source(digits_config(max_steps=4), "t")).raise_for_errors()
    with pytest.raises(OSError, match="simulated crash"):
        train(longer, tmp_path / "run")
    assert result.last_checkpoint.read_bytes() == before
    assert torch.load(result.last_checkpoint, weights_only=True)["global_step"] == 2
