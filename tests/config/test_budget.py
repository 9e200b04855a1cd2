"""Resource budgets at validation: a network or a step that surely does not fit is refused naming the field."""

from __future__ import annotations

import pytest

from ddpm_kit.config import validate_source
from ddpm_kit.config.budget import memory_limit, parameters_lower_bound
from ddpm_kit.config.source import Source


def _report(data, *overrides):
    return validate_source(Source(data, "c.yaml"), list(overrides))


def test_lower_bound_is_below_the_real_count(base_config):
    pytest.importorskip("torch")
    from ddpm_kit.components.backbones.unet_impl import build_unet

    spec = _report(base_config).raise_for_errors().model.unet_config
    real = sum(p.numel() for p in build_unet(spec).parameters())
    bound = parameters_lower_bound(spec)
    assert 0.3 * real < bound <= real


def test_huge_width_is_refused_with_the_limit(base_config, monkeypatch):
    monkeypatch.setenv("DDPM_KIT_MEMORY_LIMIT", "1G")
    report = _report(base_config, "model.unet_config.model_channels=4096")
    message = next(i.format() for i in report.errors if i.path == "model.unet_config")
    assert "parameters: training them needs at least" in message and "1.0 GiB of DDPM_KIT_MEMORY_LIMIT" in message


def test_large_image_batch_is_refused(base_config, monkeypatch):
    monkeypatch.setenv("DDPM_KIT_MEMORY_LIMIT", "8G")
    base_config["model"]["image_size"] = 16384
    base_config["model"]["unet_config"]["image_size"] = 16384
    base_config["data"] = {"name": "digits", "batch_size": 16, "image_size": 1024}
    report = _report(base_config)
    message = next(i.format() for i in report.errors if i.path == "data.batch_size")
    assert "one training step keeps at least" in message and "image_size 16384" in message


def test_mlp_width_is_refused(monkeypatch):
    monkeypatch.setenv("DDPM_KIT_MEMORY_LIMIT", "4G")
    data = {"model": {"unet_config": {"name": "mlp", "hidden": 1_000_000}, "channels": 2, "timesteps": 100},
            "data": {"name": "toy2d", "batch_size": 16}, "trainer": {"max_steps": 10}}
    report = _report(data)
    assert any(i.path == "model.unet_config" and "parameters" in i.message for i in report.errors)


def test_num_res_blocks_bounded_and_fast(base_config):
    report = _report(base_config, "model.unet_config.num_res_blocks=1e8")
    assert any(i.path == "model.unet_config.num_res_blocks" and "less than or equal to 64" in i.message
               for i in report.errors)


def test_memory_limit_sources(monkeypatch):
    monkeypatch.setenv("DDPM_KIT_MEMORY_LIMIT", "2.5M")
    assert memory_limit() == (int(2.5 * 2**20), "DDPM_KIT_MEMORY_LIMIT")
    monkeypatch.delenv("DDPM_KIT_MEMORY_LIMIT")
    size, origin = memory_limit()
    assert size is None or (size > 2**20 and origin == "the machine's RAM")
    monkeypatch.setenv("DDPM_KIT_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="is not a size such as 64G"):
        memory_limit()


def test_examples_fit_a_small_machine(monkeypatch):
    from pathlib import Path

    from ddpm_kit.config import validate_file

    monkeypatch.setenv("DDPM_KIT_MEMORY_LIMIT", "2G")
    root = Path(__file__).resolve().parents[2]
    for path in sorted(root.glob("examples/*.yaml")) + sorted(root.glob("ddpm_kit/presets/*.yaml")):
        report = validate_file(path)
        assert not [i for i in report.errors if "GiB" in i.message], (path, report.errors)


def test_schedule_show_bounds_timesteps(cli):
    code, out, err = cli("schedule", "show", "linear", "-T", "1000000000")
    assert code == 2 and "100000" in out + err and "Traceback" not in out + err
