"""Shared test helpers: a valid base config, and running the CLI in-process."""

from __future__ import annotations

import os

# Passive OpenMP waiting, read when torch loads: spinning threads make a shared 2-core machine crawl.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import copy  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for a child Python: this checkout first on PYTHONPATH, the rest of the path kept."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}
DATA = Path(__file__).resolve().parent / "data"

BASE_CONFIG: dict[str, Any] = {
    "model": {
        "unet_config": {
            "name": "unet", "image_size": 8, "in_channels": 1, "out_channels": 1, "model_channels": 32,
            "num_res_blocks": 1, "attention_resolutions": [2], "channel_mult": [1, 2], "num_head_channels": 8,
        },
        "image_size": 8,
        "channels": 1,
    },
    "data": {"name": "digits", "batch_size": 16},
    "trainer": {"max_steps": 10, "accelerator": "cpu", "devices": 1},
    "optimizer": {"lr": 1e-4},
}


@pytest.fixture
def base_config() -> dict[str, Any]:
    return copy.deepcopy(BASE_CONFIG)


@pytest.fixture
def write_config(tmp_path):
    def write(data: Any, name: str = "config.yaml") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
        return path

    return write


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run ``ddpm-kit ARGS`` in-process: returns (exit_code, stdout, stderr)."""
    from ddpm_kit.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["ddpm-kit", *map(str, args)])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return run


def pytest_configure(config):
    """One torch thread per test process: the suite runs in parallel workers on 2 cores."""
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")
