"""SIGTERM / SIGINT during training: a checkpoint is saved, the message says how to resume, exit 143 / 130."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tests.cli.test_run_folders import TOY


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143),
                                              pytest.param(signal.SIGINT, 130, marks=pytest.mark.slow)])
def test_signal_saves_and_exits(tmp_path, signum, code):
    config = {**TOY, "trainer": {**TOY["trainer"], "max_steps": 100000}}
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "ddpm_kit.cli", "train", str(path), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 240
    while not (out / "checkpoints" / "last.ckpt").exists():  # written after step 1 (checkpoint_every_n_steps: 1)
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.2)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == code, stderr[-1000:]
    assert "Traceback" not in stdout + stderr
    assert "interrupted at step" in stderr and f"--out {out} --resume" in stderr and str(path) in stderr
    assert not (out / ".ddpm-kit.lock").exists()
    import torch

    step = torch.load(out / "checkpoints" / "last.ckpt", weights_only=True)["global_step"]
    assert f"interrupted at step {step};" in stderr
